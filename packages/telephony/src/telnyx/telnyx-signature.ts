/**
 * Telnyx webhook signatures (protocols.md §3.1 names the headers): Ed25519 over
 * `${telnyx-timestamp}|${raw body}`, verified with the account's public key (base64 of the raw
 * 32-byte key, as the portal shows it). Timestamps older than the tolerance are replays.
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto';

/** DER prefix that turns a raw Ed25519 key into SubjectPublicKeyInfo, which node:crypto reads. */
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

export function telnyxPublicKey(base64Key: string): KeyObject {
  const raw = Buffer.from(base64Key, 'base64');
  const der = raw.length === 32 ? Buffer.concat([SPKI_ED25519, raw]) : raw;
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
}

export function validateTelnyxSignature(
  publicKey: string,
  signature: string | undefined,
  timestamp: string | undefined,
  rawBody: string,
  opts: { toleranceSeconds?: number; nowMs?: number } = {},
): boolean {
  if (!signature || !timestamp || !/^\d+$/.test(timestamp)) return false;
  const age = Math.abs((opts.nowMs ?? Date.now()) / 1000 - Number(timestamp));
  if (age > (opts.toleranceSeconds ?? 300)) return false;
  try {
    return verify(
      null,
      Buffer.from(`${timestamp}|${rawBody}`, 'utf8'),
      telnyxPublicKey(publicKey),
      Buffer.from(signature, 'base64'),
    );
  } catch {
    return false;
  }
}
