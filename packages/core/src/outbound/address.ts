import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Global unicast IPv6 (2000::/3): everything outside it is loopback, local, mapped or reserved. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/**
 * Why an address is not a public one a request may go to without configuration, or undefined when
 * it is public. IPv4-mapped IPv6 (`::ffff:127.0.0.1`, `::ffff:7f00:1`) is judged as the IPv4
 * address it carries; NAT64, 6to4 and Teredo forms, which embed an IPv4 address, are refused as a
 * whole rather than decoded.
 */
export function addressRange(address: string): string | undefined {
  if (!isIP(address) || !ipaddr.isValid(address)) return 'not an IP address';
  const ip = ipaddr.process(address);
  const range = ip.range();
  if (ip.kind() === 'ipv6' && !ip.match(GLOBAL_UNICAST_V6 as never)) {
    return range === 'unicast' ? 'reserved' : range;
  }
  return range === 'unicast' ? undefined : range;
}

/** Words for a range, for the error a person reads. */
export function rangeWords(range: string): string {
  switch (range) {
    case 'loopback':
      return 'a loopback address';
    case 'private':
      return 'a private network address';
    case 'linkLocal':
      return 'a link-local address (this includes cloud metadata services)';
    case 'carrierGradeNat':
      return 'a carrier-grade NAT address';
    case 'uniqueLocal':
      return 'a private (unique local) IPv6 address';
    case 'unspecified':
      return 'an unspecified address';
    case 'multicast':
    case 'broadcast':
      return `a ${range} address`;
    default:
      return `a reserved address (${range})`;
  }
}
