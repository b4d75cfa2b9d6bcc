import { parseDuration, validateEnvironment } from '@backstop/transport';
import { registerAs } from '@nestjs/config';
import { IsOptional, Matches, Validate, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';

const RATE = /^\s*(\d+)\s*\/\s*(\d+(?:ms|s|m|h|d))\s*$/;
const MAX_REQUESTS = 1_000_000_000;
// The names proxy-addr (Fastify's trustProxy) knows for the ranges a proxy usually sits in.
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

@ValidatorConstraint({ name: 'rate' })
class RateValue implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && parseRate(value) !== null;
  }
  defaultMessage(): string {
    return 'RATE_LIMIT_ORDERS must be requests per duration, such as 100/1s or 6000/1m (a count from 1, a duration above 0), or empty for no limit';
  }
}

@ValidatorConstraint({ name: 'trustProxy' })
class TrustProxyValue implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && parseTrustProxy(value) !== undefined;
  }
  defaultMessage(): string {
    return 'TRUST_PROXY must be true, false, a number of proxy hops, or addresses and CIDR ranges separated by commas (e.g. 10.0.0.0/8,127.0.0.1)';
  }
}

class HttpEnvironment {
  /** Empty or unset: /metrics is open, as it was before the variable existed. */
  @IsOptional()
  @Matches(/^([^\s,]{16,})?$/, { message: 'METRICS_TOKEN must be a token of at least 16 characters without spaces or commas; make one with: openssl rand -hex 24' })
  METRICS_TOKEN = '';

  /** Empty or unset: no limit, so nothing (a load test, a busy gateway) is throttled unless asked for. */
  @IsOptional() @Validate(RateValue)
  RATE_LIMIT_ORDERS = '';

  /** Empty or unset: the client is the address the connection comes from, whatever X-Forwarded-For says. */
  @IsOptional() @Validate(TrustProxyValue)
  TRUST_PROXY = '';
}

export interface RateLimit {
  max: number;
  windowMs: number;
}

/** `100/1s` → at most 100 requests per second; empty → no limit (undefined); anything else → null. */
export function parseRate(text: string): RateLimit | undefined | null {
  if (text.trim() === '') return undefined;
  const match = RATE.exec(text);
  if (!match) return null;
  const max = Number(match[1]);
  const windowMs = parseDuration(match[2]);
  return max >= 1 && max <= MAX_REQUESTS && windowMs > 0 ? { max, windowMs } : null;
}

/** Fastify's `trustProxy`: false, true, a hop count, or the addresses of the proxies to trust; undefined if unreadable. */
export function parseTrustProxy(text: string): boolean | number | string[] | undefined {
  const value = text.trim();
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value) === 0 ? false : Number(value) <= 100 ? Number(value) : undefined;
  const entries = value.split(',').map((entry) => entry.trim());
  return entries.every((entry) => PROXY_RANGE_NAMES.includes(entry) || isAddressOrRange(entry)) ? entries : undefined;
}

/** Written out in full: ipaddr.js also reads `10.0.0` or `0x0a.0.0.1`, which no one means here. */
function isAddressOrRange(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  if (rest.length > 0 || isIP(address) === 0) return false;
  return prefix === undefined || ipaddr.isValidCIDR(entry);
}

/** The HTTP edge's own settings: who may scrape metrics, how often a client may call the public API, which proxies to believe. */
export const httpConfig = registerAs('http', () => {
  const environment = validateEnvironment(HttpEnvironment, process.env);
  return {
    metricsToken: environment.METRICS_TOKEN || undefined,
    /** Per client address and per route, on POST /orders, GET /orders/:id and POST /payments/callback; undefined: no limit. */
    ordersRateLimit: parseRate(environment.RATE_LIMIT_ORDERS) ?? undefined,
    trustProxy: parseTrustProxy(environment.TRUST_PROXY)!,
  };
});
export type HttpConfig = ReturnType<typeof httpConfig>;
