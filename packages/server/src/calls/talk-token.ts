import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface TalkTokenClaims {
  agentId: string;
  workspaceId: string;
  /** Expiry, unix milliseconds. */
  exp: number;
}

/**
 * Short-lived tokens that let a browser page open one call to one agent without holding an API
 * key: `<payload>.<HMAC-SHA256>`, keyed by a secret derived from the internal token so every
 * process of a deployment can verify them.
 */
export class TalkTokens {
  readonly #key: Buffer;

  constructor(
    secret: string,
    private readonly ttlMs = 5 * 60_000,
  ) {
    this.#key = createHmac('sha256', secret).update('switchboard talk tokens v1').digest();
  }

  mint(agentId: string, workspaceId: string, now = Date.now()): { token: string; expiresAt: Date } {
    const claims: TalkTokenClaims & { n: string } = {
      agentId,
      workspaceId,
      exp: now + this.ttlMs,
      n: randomBytes(8).toString('base64url'),
    };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return { token: `${payload}.${this.#sign(payload)}`, expiresAt: new Date(claims.exp) };
  }

  verify(token: string, now = Date.now()): TalkTokenClaims | null {
    const [payload, sig] = token.split('.');
    if (!payload || !sig || token.length > 1000) return null;
    const expected = Buffer.from(this.#sign(payload));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    try {
      const c = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TalkTokenClaims;
      if (typeof c.agentId !== 'string' || typeof c.workspaceId !== 'string' || typeof c.exp !== 'number')
        return null;
      return c.exp > now ? { agentId: c.agentId, workspaceId: c.workspaceId, exp: c.exp } : null;
    } catch {
      return null;
    }
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#key).update(payload).digest('base64url');
  }
}
