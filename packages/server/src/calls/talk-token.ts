import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface TalkTokenClaims {
  agentId: string;
  workspaceId: string;
  /** Expiry, unix milliseconds. */
  exp: number;
}

/** What a token carries: the grant, a nonce, and `r: 1` on a reusable token. */
type Claims = TalkTokenClaims & { n: string; r?: 1 };

/** Remembers which token nonces were used, until the token expires. */
export interface NonceStore {
  /** True the first time `nonce` is offered; false on every later offer before `expiresAt`. */
  firstUse(nonce: string, expiresAt: number): Promise<boolean>;
}

/** Nonces of this process only: right for a single process, not for several behind a balancer. */
export class LocalNonces implements NonceStore {
  readonly #used = new Map<string, number>();

  async firstUse(nonce: string, expiresAt: number): Promise<boolean> {
    const now = Date.now();
    // Expired nonces are dropped as new ones come; the map holds at most a token lifetime's worth.
    for (const [n, exp] of this.#used) if (exp <= now) this.#used.delete(n);
    if (this.#used.has(nonce)) return false;
    this.#used.set(nonce, expiresAt);
    return true;
  }
}

/** Nonces shared by every process through Redis: `SET NX` with the token's own expiry. */
export class RedisNonces implements NonceStore {
  constructor(private readonly redis: Redis) {}

  async firstUse(nonce: string, expiresAt: number): Promise<boolean> {
    const set = await this.redis.set(`switchboard:talk-nonce:${nonce}`, '1', 'PXAT', expiresAt, 'NX');
    return set === 'OK';
  }
}

/**
 * Short-lived tokens that let a browser page open one call to one agent without holding an API
 * key: `<payload>.<HMAC-SHA256>`, keyed by a secret derived from the internal token so every
 * process of a deployment can verify them. Each token opens one call: its nonce is spent on
 * `redeem`, in Redis when there is one so a token cannot open a second call on another process.
 */
export class TalkTokens {
  readonly #key: Buffer;

  constructor(
    secret: string,
    private readonly ttlMs = 5 * 60_000,
    private readonly nonces: NonceStore = new LocalNonces(),
  ) {
    this.#key = createHmac('sha256', secret).update('switchboard talk tokens v1').digest();
  }

  /**
   * A token for one call to `agentId`. `reusable` tokens open any number of calls until they
   * expire: for the start-up banner's demo link on a loopback address only.
   */
  mint(
    agentId: string,
    workspaceId: string,
    now = Date.now(),
    opts: { reusable?: boolean } = {},
  ): { token: string; expiresAt: Date } {
    const claims: Claims = {
      agentId,
      workspaceId,
      exp: now + this.ttlMs,
      n: randomBytes(8).toString('base64url'),
      ...(opts.reusable ? { r: 1 } : {}),
    };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return { token: `${payload}.${this.#sign(payload)}`, expiresAt: new Date(claims.exp) };
  }

  /** The token's claims if it is valid and unused, spending it; null otherwise. */
  async redeem(token: string, now = Date.now()): Promise<TalkTokenClaims | null> {
    const claims = this.#check(token, now);
    if (!claims) return null;
    if (claims.r === 1) return strip(claims);
    return (await this.nonces.firstUse(claims.n, claims.exp)) ? strip(claims) : null;
  }

  /** The token's claims if it is valid (signature, expiry), without spending it. */
  verify(token: string, now = Date.now()): TalkTokenClaims | null {
    const claims = this.#check(token, now);
    return claims ? strip(claims) : null;
  }

  #check(token: string, now: number): Claims | null {
    const [payload, sig] = token.split('.');
    if (!payload || !sig || token.length > 1000) return null;
    const expected = Buffer.from(this.#sign(payload));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    try {
      const c = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
      if (
        typeof c.agentId !== 'string' ||
        typeof c.workspaceId !== 'string' ||
        typeof c.exp !== 'number' ||
        typeof c.n !== 'string'
      )
        return null;
      return c.exp > now ? c : null;
    } catch {
      return null;
    }
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#key).update(payload).digest('base64url');
  }
}

const strip = (c: TalkTokenClaims): TalkTokenClaims => ({
  agentId: c.agentId,
  workspaceId: c.workspaceId,
  exp: c.exp,
});
