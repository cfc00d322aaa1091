import {
  createCipheriv,
  createDecipheriv,
  createHash,
  randomBytes,
  scrypt as scryptCb,
  timingSafeEqual,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { decodeKey } from '@switchboard/core';

const scrypt = promisify(scryptCb) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/**
 * The master key that encrypts credentials: MASTER_KEY from the environment, or a key generated
 * once into the data directory (mode 0600). Several processes must share the same key.
 */
export function loadMasterKey(options: { masterKey?: string | undefined; keyFile: string }): {
  key: Buffer;
  source: 'env' | 'file' | 'generated';
} {
  if (options.masterKey) {
    const key = decodeKey(options.masterKey);
    if (!key) throw new Error('MASTER_KEY: expected 32 bytes as 64 hex characters or base64');
    return { key, source: 'env' };
  }
  if (existsSync(options.keyFile)) {
    const mode = statSync(options.keyFile).mode & 0o777;
    if (mode & 0o077) chmodSync(options.keyFile, 0o600);
    const key = decodeKey(readFileSync(options.keyFile, 'utf8').trim());
    if (!key) throw new Error(`${options.keyFile} does not hold a valid 32-byte key`);
    return { key, source: 'file' };
  }
  mkdirSync(dirname(options.keyFile), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(options.keyFile, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return { key, source: 'generated' };
}

/** A short fingerprint stored in the database so a wrong key is caught at start, not at first call. */
export const keyFingerprint = (key: Buffer): string =>
  createHash('sha256').update('switchboard-master-key-check').update(key).digest('hex').slice(0, 16);

/** AES-256-GCM with a random 96-bit nonce; additional data binds a ciphertext to its row. */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('master key must be 32 bytes');
  }

  seal(plaintext: string, aad: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return ['v1', iv.toString('base64url'), tag.toString('base64url'), ct.toString('base64url')].join('.');
  }

  open(envelope: string, aad: string): string {
    const [v, iv, tag, ct] = envelope.split('.');
    if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('unrecognised secret envelope');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/** Shows only the end of a secret: `••••abcd`. Short secrets show nothing. */
export const secretHint = (secret: string): string => (secret.length >= 12 ? secret.slice(-4) : '');

const SCRYPT = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password.normalize('NFKC'), salt, 32, SCRYPT);
  return [
    'scrypt',
    SCRYPT.N,
    SCRYPT.r,
    SCRYPT.p,
    salt.toString('base64url'),
    hash.toString('base64url'),
  ].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [algo, n, r, p, salt, hash] = stored.split('$');
  if (algo !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(password.normalize('NFKC'), Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: SCRYPT.maxmem,
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** API keys and session tokens are high-entropy, so a plain SHA-256 is the right lookup hash. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** `sb_<8 hex prefix>_<secret>`: the prefix is shown in lists so people can tell keys apart. */
export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const prefix = `sb_${randomBytes(4).toString('hex')}`;
  const key = `${prefix}_${randomBytes(24).toString('base64url')}`;
  return { key, prefix, hash: hashToken(key) };
}
