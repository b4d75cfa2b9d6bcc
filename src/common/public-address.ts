import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';

/**
 * Whether an IP address is on the public internet. ipaddr.js knows the reserved
 * ranges (loopback, private, link-local, CGNAT, unique-local, NAT64, …) and unwraps
 * IPv4-mapped IPv6 (`::ffff:127.0.0.1`), which a hand-written list tends to miss.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

/**
 * Why a URL's host is refused before any lookup: an IP literal that is not public
 * (the WHATWG parser already turned `2130706433` into `127.0.0.1`), or `localhost`.
 * Host names are checked again on the address they resolve to at each delivery.
 */
export function literalHostProblem(url: URL): string | undefined {
  // A trailing dot names the same host (`localhost.` is `localhost`): without it stripped, it slips past.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return `${url.hostname} is a loopback host`;
  if (isIP(host) && !isPublicAddress(host)) return `${url.hostname} is not a public address`;
  return undefined;
}
