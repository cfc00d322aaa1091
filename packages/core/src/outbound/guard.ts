import dns, { type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import { AppError } from '../errors.js';
import { addressRange, rangeWords } from './address.js';
import {
  anyRuleMatches,
  type HostRule,
  normalizeHost,
  parseHostRules,
  type Target,
  targetOf,
  targetText,
} from './host-rules.js';

/** What the operator allows beyond public addresses (`OUTBOUND_*` settings). */
export interface OutboundPolicy {
  /** `OUTBOUND_ALLOW_PRIVATE_NETWORKS`: loopback, private and link-local addresses are allowed. */
  allowPrivateNetworks: boolean;
  /** `OUTBOUND_ALLOWED_HOSTS`: hosts, host:port pairs, IPs or CIDR ranges allowed even when private. */
  allowedHosts: readonly string[];
}

/** Hosts one request may go to on top of the network policy (a credential's vendor and allowed hosts). */
export interface HostPin {
  rules: readonly HostRule[];
  /** Says what the pin protects and how to widen it, e.g. `the credential "OpenAI"; an admin …`. */
  explain: string;
}

/** An outbound request this server will not make. Not retryable: the same target is refused again. */
export class OutboundRefusedError extends AppError {
  readonly target: string;
  constructor(target: Target, message: string) {
    super('bad_request', message, { retryable: false });
    this.name = 'OutboundRefusedError';
    this.target = targetText(target);
  }
}

/** The refusal inside whatever wrapped it (`fetch failed` keeps it as `cause`). */
export function outboundRefusal(e: unknown): OutboundRefusedError | undefined {
  for (let cur = e, depth = 0; cur && depth < 5; depth++) {
    if (cur instanceof OutboundRefusedError) return cur;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;
export type LookupFunction = (
  hostname: string,
  options: LookupOptions | number | undefined,
  callback: LookupCallback,
) => void;

const CONNECTOR_CACHE = 256;

/**
 * The one way Switchboard makes a connection that a workspace user can aim (provider endpoints,
 * webhooks, per-call config URLs, HTTP tools). Before connecting it checks the target against an
 * optional pin (the hosts a credential may go to); while connecting, the host name is resolved
 * here and every address is checked, and the socket connects to the address that was checked, so a
 * name that resolves differently the second time (DNS rebinding) gains nothing. Loopback, private
 * (RFC 1918), link-local (cloud metadata), CGNAT, unspecified, multicast and reserved addresses, and
 * their IPv6 and IPv4-mapped forms, are refused unless the operator's policy allows them.
 *
 * HTTP goes through `fetch` (undici with a checking connector, redirects included); WebSocket,
 * `http.request` and `net.connect` callers take `socketOptions(url)` / `connectOptions(host, port)`.
 */
export class OutboundGuard {
  readonly #policy: OutboundPolicy;
  readonly #allowPrivate: boolean;
  readonly #allowed: readonly HostRule[];
  readonly #pin: HostPin | undefined;
  #agent: Agent | undefined;
  readonly #connectors = new Map<string, buildConnector.connector>();

  constructor(policy: OutboundPolicy, pin?: HostPin) {
    this.#policy = policy;
    this.#allowPrivate = policy.allowPrivateNetworks;
    this.#allowed = parseHostRules(policy.allowedHosts);
    this.#pin = pin;
  }

  static fromConfig(config: {
    OUTBOUND_ALLOW_PRIVATE_NETWORKS: boolean;
    OUTBOUND_ALLOWED_HOSTS: readonly string[];
  }): OutboundGuard {
    return new OutboundGuard({
      allowPrivateNetworks: config.OUTBOUND_ALLOW_PRIVATE_NETWORKS,
      allowedHosts: config.OUTBOUND_ALLOWED_HOSTS,
    });
  }

  /** The same network policy, with requests further limited to `pin`'s hosts. */
  pinned(pin: HostPin): OutboundGuard {
    return new OutboundGuard(this.#policy, pin);
  }

  /** Why `address` may not be used for `target`, or undefined when it may. */
  refusal(target: Target, address: string): string | undefined {
    const range = addressRange(address);
    if (range === undefined) return undefined;
    if (this.#allowPrivate || anyRuleMatches(this.#allowed, target, address)) return undefined;
    return (
      `${targetText(target)} ${target.host === address ? 'is' : `resolves to ${address},`} ${rangeWords(range)}; ` +
      'outbound requests to private ' +
      'networks are refused unless the operator sets OUTBOUND_ALLOW_PRIVATE_NETWORKS=true or lists the host in ' +
      'OUTBOUND_ALLOWED_HOSTS'
    );
  }

  /** What can be checked without DNS: the scheme, the pin, and an IP literal's range. Throws. */
  checkUrl(url: string | URL): Target {
    const target = targetOf(url);
    if (!target) {
      throw new OutboundRefusedError(
        { host: 'unknown', port: 0 },
        'outbound requests need an http(s) or ws(s) URL with a host',
      );
    }
    this.checkTarget(target);
    return target;
  }

  checkTarget(target: Target): void {
    if (this.#pin && !anyRuleMatches(this.#pin.rules, target)) {
      throw new OutboundRefusedError(
        target,
        `${targetText(target)} is not an allowed host for ${this.#pin.explain}`,
      );
    }
    if (isIP(target.host)) {
      const why = this.refusal(target, target.host);
      if (why) throw new OutboundRefusedError(target, why);
    }
  }

  /** A `dns.lookup` stand-in for one target: resolves, refuses any forbidden address, never connects to one. */
  lookupFor(target: Target): LookupFunction {
    return (hostname, options, callback) => {
      const opts: LookupOptions = typeof options === 'number' ? { family: options } : (options ?? {});
      dns.lookup(hostname, { ...opts, all: true }, (err, addresses) => {
        if (err) return callback(err, []);
        for (const a of addresses) {
          const why = this.refusal(target, a.address);
          if (why) return callback(new OutboundRefusedError(target, why) as never, []);
        }
        const first = addresses[0];
        if (!first)
          return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
        if (opts.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      });
    };
  }

  /** Options for `new WebSocket(url, …)` and `http.request(url, …)`; throws when the URL is refused outright. */
  socketOptions(url: string | URL): { lookup: LookupFunction } {
    return { lookup: this.lookupFor(this.checkUrl(url)) };
  }

  /** Options for `net.connect` to a raw TCP service (Wyoming); throws when the target is refused outright. */
  connectOptions(host: string, port: number): { host: string; port: number; lookup: LookupFunction } {
    const target = { host: normalizeHost(host), port };
    this.checkTarget(target);
    return { host, port, lookup: this.lookupFor(target) };
  }

  /** `fetch` whose every connection (redirects too) is checked. Refusals reject with `cause` set. */
  readonly fetch: typeof fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    try {
      this.checkUrl(url);
    } catch (e) {
      return Promise.reject(new TypeError('fetch failed', { cause: e }));
    }
    return undiciFetch(url, {
      ...(init as object),
      dispatcher: this.#dispatcher(),
    } as never) as unknown as Promise<Response>;
  };

  #dispatcher(): Agent {
    this.#agent ??= new Agent({
      connect: (opts, callback) => {
        const secure = opts.protocol === 'https:' || opts.protocol === 'wss:';
        const target = { host: normalizeHost(opts.hostname), port: Number(opts.port) || (secure ? 443 : 80) };
        try {
          this.checkTarget(target);
        } catch (e) {
          callback(e as Error, null);
          return;
        }
        const key = targetText(target);
        let connector = this.#connectors.get(key);
        if (!connector) {
          if (this.#connectors.size >= CONNECTOR_CACHE) this.#connectors.clear();
          connector = buildConnector({ lookup: this.lookupFor(target) } as never);
          this.#connectors.set(key, connector);
        }
        connector(opts, callback);
      },
    });
    return this.#agent;
  }

  /** Ends pooled connections (tests; the process's own guard lives as long as the process). */
  async close(): Promise<void> {
    await this.#agent?.close();
  }
}
