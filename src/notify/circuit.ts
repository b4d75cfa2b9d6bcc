import type { EndpointState } from './endpoint.entity';

/**
 * The circuit breaker of an endpoint (docs/architecture.md#merchant-notification) as decisions only: what its state, its times
 * and recent attempts and an event make of it. No I/O here: CircuitBreaker loads and stores
 * through EndpointsRepository, whose statements keep the guards that make each transition
 * happen once however many processes decide it at the same moment.
 */

/** The delivery log's error of an attempt a circuit refused; such attempts never count toward opening it. */
export const CIRCUIT_OPEN = 'endpoint circuit open';
/** The delivery log's error of an attempt to a DISABLED endpoint; never counted either. */
export const ENDPOINT_DISABLED = 'endpoint disabled';

/** What an attempt may do at its endpoint: send, send as the half-open probe, or nothing ('open'). */
export type Admission = 'send' | 'probe' | 'open';

/** A change of state, as the `backstop_endpoint_circuit_transitions_total` counter names it. */
export type Transition = 'opened' | 'probing' | 'closed' | 'reopened';

export interface CircuitSettings {
  /** How long an OPEN circuit sends nothing before one probe. */
  cooldownMs: number;
  /** How long a probe may take before another attempt takes it over (its process died). */
  probeLeaseMs: number;
}

/**
 * An endpoint's circuit times and the database's clock, read together: times are compared
 * with the database's `now()`, never with this process's clock, which may differ.
 */
export interface CircuitClock {
  now: Date;
  openedAt: Date | null;
  probeAt: Date | null;
}

/** An attempt asks to go out; `clock` is read only when the circuit is not closed (null: not read). */
export interface AdmissionEvent {
  type: 'admission';
  clock: CircuitClock | null;
}

/**
 * The probe's outcome. (A plain send's failure may open the circuit: that rule is counted and
 * applied in one statement, EndpointsRepository.openIfFailing, so that no attempt is admitted
 * between the count and the opening.)
 */
export type OutcomeEvent = { type: 'probed'; delivered: boolean };

export type CircuitEvent = AdmissionEvent | OutcomeEvent;

/** The state to store (unchanged when `transition` is absent) and, for an admission, what the attempt does. */
export interface CircuitStep {
  next: EndpointState;
  transition?: Transition;
  admission?: Admission;
}

export function step(state: EndpointState, event: AdmissionEvent, settings: CircuitSettings): CircuitStep & { admission: Admission };
export function step(state: EndpointState, event: CircuitEvent, settings: CircuitSettings): CircuitStep;
export function step(state: EndpointState, event: CircuitEvent, settings: CircuitSettings): CircuitStep {
  switch (event.type) {
    case 'admission':
      if (state === 'ACTIVE') return { next: state, admission: 'send' };
      if (probeDue(state, event.clock, settings)) return { next: 'HALF_OPEN', transition: 'probing', admission: 'probe' };
      return { next: state, admission: 'open' };
    case 'probed':
      // Ops may have enabled or disabled the endpoint meanwhile, or another attempt taken the probe over: then it is theirs.
      if (state !== 'HALF_OPEN') return { next: state };
      return event.delivered ? { next: 'ACTIVE', transition: 'closed' } : { next: 'OPEN', transition: 'reopened' };
  }
}

/** After the cooldown of an OPEN circuit, or when a HALF_OPEN circuit's probe has outlived its lease. */
function probeDue(state: EndpointState, clock: CircuitClock | null, settings: CircuitSettings): boolean {
  if (!clock) return false;
  const now = clock.now.getTime();
  if (state === 'OPEN') return clock.openedAt !== null && clock.openedAt.getTime() <= now - settings.cooldownMs;
  if (state === 'HALF_OPEN') return clock.probeAt !== null && clock.probeAt.getTime() <= now - settings.probeLeaseMs;
  return false;
}
