import { randomBytes, randomUUID } from 'node:crypto';

export const newId = (): string => randomUUID();

/** URL-safe random token with the given number of random bytes. */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');
