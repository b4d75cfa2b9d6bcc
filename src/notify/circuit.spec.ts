import { CircuitClock, CircuitEvent, CircuitSettings, CircuitStep, step } from './circuit';
import type { EndpointState } from './endpoint.entity';

const settings: CircuitSettings = { cooldownMs: 30_000, probeLeaseMs: 10_000 };
const NOW = Date.parse('2026-11-22T12:00:00Z');

/** The database's clock at NOW, the circuit opened and probed `openedAgo` and `probedAgo` ms before. */
const clock = (openedAgo: number | null, probedAgo: number | null = null): CircuitClock => ({
  now: new Date(NOW),
  openedAt: openedAgo === null ? null : new Date(NOW - openedAgo),
  probeAt: probedAgo === null ? null : new Date(NOW - probedAgo),
});
const admission = (at: CircuitClock | null): CircuitEvent => ({ type: 'admission', clock: at });

describe('step: the circuit of an endpoint', () => {
  it.each<[string, EndpointState, CircuitEvent, CircuitStep]>([
    // Admission
    ['a closed circuit sends', 'ACTIVE', admission(null), { next: 'ACTIVE', admission: 'send' }],
    ['a closed circuit sends whatever its old times', 'ACTIVE', admission(clock(0)), { next: 'ACTIVE', admission: 'send' }],
    ['an open circuit within its cooldown refuses', 'OPEN', admission(clock(29_999)), { next: 'OPEN', admission: 'open' }],
    ['an open circuit probes once its cooldown is over', 'OPEN', admission(clock(30_000)), { next: 'HALF_OPEN', transition: 'probing', admission: 'probe' }],
    ['an open circuit long past its cooldown probes', 'OPEN', admission(clock(3_600_000)), { next: 'HALF_OPEN', transition: 'probing', admission: 'probe' }],
    ['an open circuit without an opening time refuses', 'OPEN', admission(clock(null)), { next: 'OPEN', admission: 'open' }],
    ['an open circuit whose times were not read refuses', 'OPEN', admission(null), { next: 'OPEN', admission: 'open' }],
    ['a half-open circuit refuses while its probe is under way', 'HALF_OPEN', admission(clock(60_000, 9_999)), { next: 'HALF_OPEN', admission: 'open' }],
    ['a half-open circuit whose probe outlived its lease probes again', 'HALF_OPEN', admission(clock(60_000, 10_000)), { next: 'HALF_OPEN', transition: 'probing', admission: 'probe' }],
    ['a half-open circuit without a probe time refuses', 'HALF_OPEN', admission(clock(60_000, null)), { next: 'HALF_OPEN', admission: 'open' }],
    ['a disabled endpoint refuses', 'DISABLED', admission(clock(3_600_000, 3_600_000)), { next: 'DISABLED', admission: 'open' }],
    // Outcome of the probe
    ['a delivered probe closes it', 'HALF_OPEN', { type: 'probed', delivered: true }, { next: 'ACTIVE', transition: 'closed' }],
    ['a failed probe opens it again', 'HALF_OPEN', { type: 'probed', delivered: false }, { next: 'OPEN', transition: 'reopened' }],
    ['a probe outcome after ops enabled the endpoint changes nothing', 'ACTIVE', { type: 'probed', delivered: false }, { next: 'ACTIVE' }],
    ['a probe outcome after the endpoint was disabled changes nothing', 'DISABLED', { type: 'probed', delivered: true }, { next: 'DISABLED' }],
    ['a probe outcome after the circuit reopened changes nothing', 'OPEN', { type: 'probed', delivered: true }, { next: 'OPEN' }],
  ])('%s', (_, state, event, expected) => {
    expect(step(state, event, settings)).toEqual(expected);
  });

});
