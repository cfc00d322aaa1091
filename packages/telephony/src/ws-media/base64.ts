/**
 * Base64 for carrier media payloads. Node's decoder silently skips characters outside the
 * alphabet, which would turn a corrupted payload into shifted audio; carriers send canonical
 * base64, so anything else is rejected and the message dropped.
 */
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Decodes canonical base64; undefined for anything malformed (wrong length, stray characters). */
export function decodeBase64(text: unknown): Uint8Array | undefined {
  if (typeof text !== 'string' || text.length % 4 !== 0 || !B64.test(text)) return undefined;
  const buf = Buffer.from(text, 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function encodeBase64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}
