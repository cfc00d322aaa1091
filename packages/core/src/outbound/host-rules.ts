import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * One entry of an allow-list: a host name (`api.example.com`), a suffix (`*.example.com`, which
 * matches sub-domains only), an IP address or a CIDR range, each optionally with `:port`
 * (`[::1]:11434` for an IPv6 address with a port). A rule without a port matches every port.
 */
export type HostRule =
  | { kind: 'host'; host: string; port?: number }
  | { kind: 'suffix'; suffix: string; port?: number }
  | { kind: 'cidr'; range: [ipaddr.IPv4 | ipaddr.IPv6, number]; port?: number };

/** Where a request goes: the URL's host (brackets removed, lower case) and its effective port. */
export interface Target {
  host: string;
  port: number;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const isHostName = (h: string) => h.length <= 253 && h.split('.').every((l) => LABEL.test(l));

/** Lower case, no IPv6 brackets, no trailing dot; IPv4-mapped IPv6 literals become IPv4. */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (isIP(h) === 6 && ipaddr.isValid(h)) h = ipaddr.process(h).toString();
  return h;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'ws:': 80, 'https:': 443, 'wss:': 443 };

/** The host and port a URL connects to; undefined for a URL that is not http(s)/ws(s). */
export function targetOf(url: string | URL): Target | undefined {
  let u: URL;
  try {
    u = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return undefined;
  }
  const fallback = DEFAULT_PORTS[u.protocol];
  if (fallback === undefined || !u.hostname) return undefined;
  return { host: normalizeHost(u.hostname), port: u.port ? Number(u.port) : fallback };
}

/** Parses one rule; returns an explanation instead when the text is not a rule. */
export function parseHostRule(text: string): HostRule | string {
  const raw = text.trim().toLowerCase();
  if (!raw) return 'is empty';
  let hostPart = raw;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(raw);
  if (bracketed) {
    hostPart = bracketed[1] as string;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (isIP(raw) !== 6 && !(raw.includes('/') && raw.includes('::'))) {
    const m = /^(.*):(\d+)$/.exec(raw);
    if (m) {
      hostPart = m[1] as string;
      port = Number(m[2]);
    }
  }
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    return 'has a port outside 1-65535';
  }
  const withPort = <T extends object>(r: T) => (port === undefined ? r : { ...r, port });
  if (hostPart.includes('/')) {
    try {
      const range = ipaddr.parseCIDR(hostPart);
      const [addr, bits] = range;
      const ip: [ipaddr.IPv4 | ipaddr.IPv6, number] =
        addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()
          ? [(addr as ipaddr.IPv6).toIPv4Address(), Math.max(0, bits - 96)]
          : range;
      return withPort({ kind: 'cidr' as const, range: ip });
    } catch {
      return 'is not a valid CIDR range (e.g. 10.0.0.0/8)';
    }
  }
  if (isIP(hostPart)) {
    const addr = ipaddr.process(hostPart);
    const range: [ipaddr.IPv4 | ipaddr.IPv6, number] = [addr, addr.kind() === 'ipv4' ? 32 : 128];
    return withPort({ kind: 'cidr' as const, range });
  }
  if (hostPart.startsWith('*.')) {
    const suffix = hostPart.slice(2).replace(/\.$/, '');
    if (!isHostName(suffix) || !suffix.includes('.')) {
      return 'expected *.<domain> with at least two labels, e.g. *.openai.azure.com';
    }
    return withPort({ kind: 'suffix' as const, suffix });
  }
  const host = hostPart.replace(/\.$/, '');
  if (!isHostName(host)) return 'expected a host name, host:port, *.domain, an IP address or a CIDR range';
  return withPort({ kind: 'host' as const, host });
}

/** Parses a list of rules, throwing on the first that is not one (configuration is checked at start). */
export function parseHostRules(texts: readonly string[]): HostRule[] {
  return texts.map((t) => {
    const r = parseHostRule(t);
    if (typeof r === 'string') throw new Error(`"${t}" ${r}`);
    return r;
  });
}

/**
 * Whether a rule admits a target. Names match names (a name rule never matches by address),
 * CIDR rules match the target when it is an IP literal, or the resolved `address` when given.
 */
export function ruleMatches(rule: HostRule, target: Target, address?: string): boolean {
  if (rule.port !== undefined && rule.port !== target.port) return false;
  if (rule.kind === 'host') return rule.host === target.host;
  if (rule.kind === 'suffix') return target.host.endsWith(`.${rule.suffix}`);
  const ip = address ?? (isIP(target.host) ? target.host : undefined);
  if (!ip || !ipaddr.isValid(ip)) return false;
  const parsed = ipaddr.process(ip);
  const [net, bits] = rule.range;
  return parsed.kind() === net.kind() && parsed.match(net as never, bits);
}

export const anyRuleMatches = (rules: readonly HostRule[], target: Target, address?: string): boolean =>
  rules.some((r) => ruleMatches(r, target, address));

/** `host` or `host:port` as a person writes it (IPv6 in brackets). */
export const targetText = (t: Target): string => `${isIP(t.host) === 6 ? `[${t.host}]` : t.host}:${t.port}`;
