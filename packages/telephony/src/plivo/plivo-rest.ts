/**
 * Plivo's REST API (protocols.md §2.4): basic auth with the auth id and token, JSON bodies.
 * Place a call, hang up, and transfer (a live call's A leg fetches new XML from `aleg_url`;
 * the transfer request shape is Plivo's "Transfer a call" API, not covered by protocols.md).
 */
import type { RetryPolicy } from '@switchboard/engine';
import { isCarrierError } from '../ws-media/carrier-error.js';
import { basicAuth, type RestTransport, restCall } from '../ws-media/carrier-rest.js';

export const PLIVO_API = 'https://api.plivo.com';

export interface PlivoCredentials {
  authId: string;
  authToken: string;
}

export interface PlivoRestOptions {
  baseUrl?: string;
  fetch?: typeof fetch;
  retry?: RetryPolicy;
  timeoutMs?: number;
}

export interface PlivoPlaceCall {
  from: string;
  to: string;
  answerUrl: string;
  hangupUrl?: string;
  ringUrl?: string;
  /** Ring time before giving up. */
  ringTimeoutSeconds?: number;
  timeLimitSeconds?: number;
  machineDetection?: 'true' | 'hangup';
}

/** Plivo wants country code + number without `+`. */
export const plivoNumber = (n: string): string => n.trim().replace(/^\+/, '');

export class PlivoRestClient {
  readonly authId: string;
  readonly #t: RestTransport;

  constructor(creds: PlivoCredentials, opts: PlivoRestOptions = {}) {
    this.authId = creds.authId;
    this.#t = {
      carrier: 'plivo',
      baseUrl: (opts.baseUrl ?? PLIVO_API).replace(/\/$/, ''),
      authorization: basicAuth(creds.authId, creds.authToken),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.retry ? { retry: opts.retry } : {}),
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    };
  }

  #call(uuid?: string): string {
    const base = `/v1/Account/${encodeURIComponent(this.authId)}/Call/`;
    return uuid ? `${base}${encodeURIComponent(uuid)}/` : base;
  }

  /** The account (`GET /v1/Account/{auth_id}/`, protocols.md §2.4's base): proves the id and token. */
  async getAccount(signal?: AbortSignal): Promise<void> {
    await restCall(this.#t, {
      method: 'GET',
      path: `/v1/Account/${encodeURIComponent(this.authId)}/`,
      ...(signal ? { signal } : {}),
    });
  }

  /** Resolves with Plivo's request UUID (not the CallUUID: that arrives on the answer URL). */
  async placeCall(p: PlivoPlaceCall): Promise<{ requestUuid: string }> {
    const body: Record<string, unknown> = {
      from: plivoNumber(p.from),
      to: plivoNumber(p.to),
      answer_url: p.answerUrl,
      answer_method: 'POST',
    };
    if (p.hangupUrl) Object.assign(body, { hangup_url: p.hangupUrl, hangup_method: 'POST' });
    if (p.ringUrl) Object.assign(body, { ring_url: p.ringUrl, ring_method: 'POST' });
    if (p.ringTimeoutSeconds !== undefined) body.ring_timeout = p.ringTimeoutSeconds;
    if (p.timeLimitSeconds !== undefined) body.time_limit = p.timeLimitSeconds;
    if (p.machineDetection) body.machine_detection = p.machineDetection;
    const res = (await restCall(this.#t, { method: 'POST', path: this.#call(), body })) as
      | { request_uuid?: unknown }
      | undefined;
    const id = Array.isArray(res?.request_uuid) ? res.request_uuid[0] : res?.request_uuid;
    if (typeof id !== 'string') throw new Error('Plivo answered the call request without a request_uuid');
    return { requestUuid: id };
  }

  /** Ends a call; one that is already gone (404) counts as hung up. */
  async hangup(callUuid: string): Promise<void> {
    try {
      await restCall(this.#t, { method: 'DELETE', path: this.#call(callUuid) });
    } catch (e) {
      if (!(isCarrierError(e) && e.notFound)) throw e;
    }
  }

  /**
   * Cancels a placed call that has not been answered yet, by the request UUID `placeCall` gave
   * (Plivo's "cancel a queued call" API, not covered by protocols.md); one already gone (404) is
   * fine.
   */
  async cancelRequest(requestUuid: string): Promise<void> {
    try {
      await restCall(this.#t, {
        method: 'DELETE',
        path: `/v1/Account/${encodeURIComponent(this.authId)}/Request/${encodeURIComponent(requestUuid)}/`,
      });
    } catch (e) {
      if (!(isCarrierError(e) && e.notFound)) throw e;
    }
  }

  /** Points the caller's leg at new XML (the stream ends; the call follows `url`). */
  async transfer(callUuid: string, url: string): Promise<void> {
    await restCall(this.#t, {
      method: 'POST',
      path: this.#call(callUuid),
      body: { legs: 'aleg', aleg_url: url, aleg_method: 'POST' },
    });
  }
}
