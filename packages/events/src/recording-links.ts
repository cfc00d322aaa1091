import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring recording URLs: `<PUBLIC_URL>/v1/calls/<id>/recording?expires=<unix s>&sig=<hex>`.
 * The key is derived from the internal token, which every process of one deployment shares, so a
 * link made by one worker opens on any other.
 */
export interface RecordingLinks {
  url(callId: string, nowMs?: number): string;
  verify(callId: string, expires: string | undefined, sig: string | undefined, nowMs?: number): boolean;
}

export interface RecordingLinkOptions {
  publicUrl: string;
  internalToken: string;
  /** How long a link stays valid; 7 days by default so retried webhooks still carry a usable one. */
  ttlMs?: number;
}

export function createRecordingLinks(options: RecordingLinkOptions): RecordingLinks {
  const key = createHmac('sha256', options.internalToken).update('switchboard:recording-links:v1').digest();
  const ttlMs = options.ttlMs ?? 7 * 24 * 3600_000;
  const base = options.publicUrl.replace(/\/$/, '');
  const mac = (callId: string, expires: number) =>
    createHmac('sha256', key).update(`${callId}.${expires}`).digest('hex');
  return {
    url(callId, nowMs = Date.now()) {
      const expires = Math.floor((nowMs + ttlMs) / 1000);
      return `${base}/v1/calls/${callId}/recording?expires=${expires}&sig=${mac(callId, expires)}`;
    },
    verify(callId, expires, sig, nowMs = Date.now()) {
      if (!expires || !sig || !/^\d{1,12}$/.test(expires) || !/^[0-9a-f]{64}$/.test(sig)) return false;
      const e = Number(expires);
      if (e * 1000 < nowMs) return false;
      const a = Buffer.from(mac(callId, e), 'hex');
      const b = Buffer.from(sig, 'hex');
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}
