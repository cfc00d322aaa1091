/**
 * Telnyx Call Control (protocols.md §3.1): Bearer API key, JSON. Dial and answer start the
 * bidirectional RTP-mode media stream (without `stream_bidirectional_mode: "rtp"` Telnyx ignores
 * audio we send). Hang-up, transfer and send_dtmf are Call Control actions on the call.
 */
import type { RetryPolicy } from '@switchboard/engine';
import { isCarrierError } from '../ws-media/carrier-error.js';
import { type RestTransport, restCall } from '../ws-media/carrier-rest.js';

export const TELNYX_API = 'https://api.telnyx.com';

export interface TelnyxCredentials {
  apiKey: string;
  /** Base64 Ed25519 key that verifies webhooks. */
  publicKey: string;
  /** The Call Control application (connection) that places calls. */
  connectionId: string;
}

export interface TelnyxRestOptions {
  baseUrl?: string;
  fetch?: typeof fetch;
  retry?: RetryPolicy;
  timeoutMs?: number;
}

/** Stream settings shared by dial and answer: inbound track out, μ-law both ways over RTP mode. */
export const streamParams = (streamUrl: string) => ({
  stream_url: streamUrl,
  stream_track: 'inbound_track',
  stream_bidirectional_mode: 'rtp',
  stream_bidirectional_codec: 'PCMU',
});

export class TelnyxRestClient {
  readonly #t: RestTransport;

  constructor(creds: Pick<TelnyxCredentials, 'apiKey'>, opts: TelnyxRestOptions = {}) {
    this.#t = {
      carrier: 'telnyx',
      baseUrl: (opts.baseUrl ?? TELNYX_API).replace(/\/$/, ''),
      authorization: `Bearer ${creds.apiKey}`,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.retry ? { retry: opts.retry } : {}),
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    };
  }

  #action(id: string, action: string, body: Record<string, unknown> = {}): Promise<unknown> {
    return restCall(this.#t, {
      method: 'POST',
      path: `/v2/calls/${encodeURIComponent(id)}/actions/${action}`,
      body,
    });
  }

  /**
   * The Call Control application a `connection_id` names (Telnyx's documented
   * `GET /v2/call_control_applications/{id}`; protocols.md documents no read endpoint): a 200
   * proves the key and the connection at once, a 401 the key is wrong, a 404 the connection.
   */
  async getCallControlApplication(id: string, signal?: AbortSignal): Promise<void> {
    await restCall(this.#t, {
      method: 'GET',
      path: `/v2/call_control_applications/${encodeURIComponent(id)}`,
      ...(signal ? { signal } : {}),
    });
  }

  async dial(p: {
    connectionId: string;
    from: string;
    to: string;
    streamUrl: string;
    webhookUrl?: string;
    clientState?: string;
    timeoutSeconds?: number;
    /** Telnyx answering-machine detection; the result arrives as `call.machine.detection.ended`. */
    answeringMachineDetection?: 'detect' | 'detect_beep';
  }): Promise<{ callControlId: string }> {
    const body: Record<string, unknown> = {
      connection_id: p.connectionId,
      to: p.to,
      from: p.from,
      ...streamParams(p.streamUrl),
    };
    if (p.webhookUrl) Object.assign(body, { webhook_url: p.webhookUrl, webhook_url_method: 'POST' });
    if (p.clientState) body.client_state = p.clientState;
    if (p.timeoutSeconds !== undefined) body.timeout_secs = p.timeoutSeconds;
    if (p.answeringMachineDetection) body.answering_machine_detection = p.answeringMachineDetection;
    const res = (await restCall(this.#t, { method: 'POST', path: '/v2/calls', body })) as
      | { data?: { call_control_id?: unknown } }
      | undefined;
    const id = res?.data?.call_control_id;
    if (typeof id !== 'string') throw new Error('Telnyx answered the dial request without a call_control_id');
    return { callControlId: id };
  }

  async answer(id: string, streamUrl: string, clientState?: string): Promise<void> {
    await this.#action(id, 'answer', {
      ...streamParams(streamUrl),
      ...(clientState ? { client_state: clientState } : {}),
    });
  }

  async reject(id: string, cause: 'CALL_REJECTED' | 'USER_BUSY' = 'CALL_REJECTED'): Promise<void> {
    await this.#action(id, 'reject', { cause });
  }

  /** A call that is already gone (404/422 "call has already ended") counts as hung up. */
  async hangup(id: string): Promise<void> {
    try {
      await this.#action(id, 'hangup');
    } catch (e) {
      if (!(isCarrierError(e) && (e.notFound || e.httpStatus === 422))) throw e;
    }
  }

  async transfer(id: string, to: string): Promise<void> {
    await this.#action(id, 'transfer', { to });
  }

  async sendDtmf(id: string, digits: string): Promise<void> {
    await this.#action(id, 'send_dtmf', { digits });
  }
}
