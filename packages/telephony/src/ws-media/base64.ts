/**
 * Base64 for carrier media payloads. Node's decoder silently skips characters outside the
 * alphabet and stops at a misplaced '=', which would turn a corrupted payload into shifted audio;
 * carriers send canonical base64, so anything else is rejected and the message dropped.
 */

/**
 * Decodes canonical base64; undefined for anything malformed (wrong length, stray characters).
 * Instead of a regular expression over every payload (50 a second per call), it checks that the
 * decoder used every character: each skipped one would shorten the output by at least a byte.
 * The URL-safe alphabet (`-`, `_`) decodes to the bytes its sender meant and is accepted.
 */
export function decodeBase64(text: unknown): Uint8Array | undefined {
  if (typeof text !== 'string' || text.length % 4 !== 0) return undefined;
  const n = text.length;
  const pad = n > 0 && text.charCodeAt(n - 1) === EQ ? (text.charCodeAt(n - 2) === EQ ? 2 : 1) : 0;
  const buf = Buffer.from(text, 'base64');
  if (buf.byteLength !== (n / 4) * 3 - pad) return undefined;
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

const EQ = 0x3d;

export function encodeBase64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}
