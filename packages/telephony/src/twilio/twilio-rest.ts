/**
 * Twilio's REST API (protocols.md §1.6): basic auth with the account SID and auth token, form
 * bodies, JSON answers. Only the calls a connector needs: place, update (hang up, redirect), and
 * the account fetch that checks a credential.
 */
import type { RetryPolicy } from '@switchboard/engine';
import { isCarrierError } from '../ws-media/carrier-error.js';
import { basicAuth, type RestTransport, restCall } from '../ws-media/carrier-rest.js';

export const TWILIO_API = 'https://api.twilio.com';

export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
}

export interface TwilioRestOptions {
  /** Defaults to https://api.twilio.com; tests point it at a local fake. */
  baseUrl?: string;
  fetch?: typeof fetch;
  retry?: RetryPolicy;
  timeoutMs?: number;
}

export type TwilioStatusEvent = 'initiated' | 'ringing' | 'answered' | 'completed';

export interface TwilioPlaceCall {
  to: string;
  from: string;
  /** The voice webhook Twilio fetches when the callee answers. */
  url: string;
  statusCallback?: string;
  statusCallbackEvents?: TwilioStatusEvent[];
  /** Ring time before giving up (Twilio's default is 60 s). */
  timeoutSeconds?: number;
  timeLimitSeconds?: number;
  machineDetection?: 'Enable' | 'DetectMessageEnd';
}

export class TwilioRestClient {
  readonly accountSid: string;
  readonly #t: RestTransport;

  constructor(creds: TwilioCredentials, opts: TwilioRestOptions = {}) {
    this.accountSid = creds.accountSid;
    this.#t = {
      carrier: 'twilio',
      baseUrl: (opts.baseUrl ?? TWILIO_API).replace(/\/$/, ''),
      authorization: basicAuth(creds.accountSid, creds.authToken),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.retry ? { retry: opts.retry } : {}),
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    };
  }

  #calls(sid?: string): string {
    const acc = encodeURIComponent(this.accountSid);
    return sid
      ? `/2010-04-01/Accounts/${acc}/Calls/${encodeURIComponent(sid)}.json`
      : `/2010-04-01/Accounts/${acc}/Calls.json`;
  }

  /** The Account resource (`GET /2010-04-01/Accounts/{Sid}.json`): proves the SID and token. */
  async fetchAccount(signal?: AbortSignal): Promise<{ sid?: string; status?: string }> {
    const res = (await restCall(this.#t, {
      method: 'GET',
      path: `/2010-04-01/Accounts/${encodeURIComponent(this.accountSid)}.json`,
      ...(signal ? { signal } : {}),
    })) as { sid?: unknown; status?: unknown } | undefined;
    return {
      ...(typeof res?.sid === 'string' ? { sid: res.sid } : {}),
      ...(typeof res?.status === 'string' ? { status: res.status } : {}),
    };
  }

  /** Starts an outbound call; it then arrives on the voice webhook like any other. */
  async placeCall(p: TwilioPlaceCall): Promise<{ callSid: string; status: string }> {
    const body = new URLSearchParams({ To: p.to, From: p.from, Url: p.url, Method: 'POST' });
    if (p.statusCallback) {
      body.set('StatusCallback', p.statusCallback);
      body.set('StatusCallbackMethod', 'POST');
      for (const e of p.statusCallbackEvents ?? ['initiated', 'ringing', 'answered', 'completed']) {
        body.append('StatusCallbackEvent', e);
      }
    }
    if (p.timeoutSeconds !== undefined) body.set('Timeout', String(p.timeoutSeconds));
    if (p.timeLimitSeconds !== undefined) body.set('TimeLimit', String(p.timeLimitSeconds));
    if (p.machineDetection) body.set('MachineDetection', p.machineDetection);
    const res = (await restCall(this.#t, { method: 'POST', path: this.#calls(), body })) as
      | { sid?: unknown; status?: unknown }
      | undefined;
    if (typeof res?.sid !== 'string') throw new Error('Twilio answered the call request without a call SID');
    return { callSid: res.sid, status: typeof res.status === 'string' ? res.status : 'queued' };
  }

  async updateCall(callSid: string, params: Record<string, string>): Promise<void> {
    await restCall(this.#t, {
      method: 'POST',
      path: this.#calls(callSid),
      body: new URLSearchParams(params),
    });
  }

  /** Ends a live call; a call that is already gone (404) counts as hung up. */
  async hangup(callSid: string): Promise<void> {
    try {
      await this.updateCall(callSid, { Status: 'completed' });
    } catch (e) {
      if (!(isCarrierError(e) && e.notFound)) throw e;
    }
  }

  /** Replaces the call's TwiML (which ends the media stream), e.g. with a `<Dial>`. */
  async redirect(callSid: string, twiml: string): Promise<void> {
    await this.updateCall(callSid, { Twiml: twiml });
  }
}
