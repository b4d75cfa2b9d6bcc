import type { Endpoint } from './api';

/**
 * How many requests the endpoint is sent at once now, and what bounds it: `12 of cap 16` when ops
 * set a cap, `12 (adaptive)` when the adaptive limit alone decides.
 */
export function limitOf(endpoint: Endpoint): string {
  return endpoint.concurrencyCap === undefined ? `${endpoint.concurrency} (adaptive)` : `${endpoint.concurrency} of cap ${endpoint.concurrencyCap}`;
}

/** An answer time: ms up to 10 s, seconds past it (a hanging merchant's p99 is NOTIFY_TIMEOUT). */
export function duration(ms: number): string {
  return ms < 10_000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** p50 / p99 of the endpoint's last 100 attempts; none before its first timed one. */
export function latencyOf(endpoint: Endpoint): string {
  const { latencyP50Ms: p50, latencyP99Ms: p99 } = endpoint;
  return p50 === undefined && p99 === undefined ? '—' : `${p50 === undefined ? '—' : duration(p50)} / ${p99 === undefined ? '—' : duration(p99)}`;
}
