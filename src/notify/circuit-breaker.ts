import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { notifyConfig } from '../config/notify.config';
import { Metrics } from '../metrics/metrics.service';
import { Admission, CircuitSettings, step } from './circuit';
import { EndpointChanges } from './endpoint-changes';
import type { EndpointState } from './endpoint.entity';
import { EndpointsRepository } from './endpoints.repository';
import { EndpointsService } from './endpoints.service';

export { type Admission, CIRCUIT_OPEN } from './circuit';

/**
 * The circuit breaker of each endpoint. An attempt to an OPEN endpoint is not sent
 * and counts as failed, so the schedule and the failure ledger go on as usual; after the
 * cooldown one probe goes out (HALF_OPEN): success closes the circuit and re-runs at once
 * what failed for good while it was open, failure opens it again. The state lives in the
 * database, so every process sees the same circuit; `step` (circuit.ts) decides, and each
 * transition is stored by a statement guarded by the state it leaves, so of processes that
 * decide the same transition at once only one makes it (and counts it).
 */
@Injectable()
export class CircuitBreaker {
  private readonly logger = new Logger(CircuitBreaker.name);
  private readonly settings: CircuitSettings;

  constructor(
    private readonly repository: EndpointsRepository,
    private readonly endpoints: EndpointsService,
    private readonly metrics: Metrics,
    @Inject(notifyConfig.KEY) private readonly config: ConfigType<typeof notifyConfig>,
    private readonly changes: EndpointChanges,
  ) {
    // A probe is one attempt: this outlasts it, so only a probe whose process died is taken over.
    this.settings = { cooldownMs: config.circuit.cooldownMs, probeLeaseMs: config.timeoutMs * 2 };
  }

  /** `state` is the endpoint's as the attempt's claim read it; a circuit not ACTIVE is read again, with its times. */
  async admit(endpointId: string, state: EndpointState): Promise<Admission> {
    const circuit = state === 'ACTIVE' ? undefined : await this.repository.circuitClock(endpointId);
    const decided = step(circuit?.state ?? state, { type: 'admission', clock: circuit ?? null }, this.settings);
    if (decided.admission !== 'probe') return decided.admission;
    const { cooldownMs, probeLeaseMs } = this.settings;
    if (!(await this.repository.claimCircuitProbe(endpointId, cooldownMs, probeLeaseMs))) return 'open';
    this.metrics.circuitTransitions.inc({ transition: 'probing' });
    return 'probe';
  }

  /** After a sent attempt: a failure may open the circuit; a probe's outcome closes or reopens it. */
  async after(endpointId: string, admission: Admission, delivered: boolean): Promise<void> {
    if (admission === 'probe') {
      const { transition } = step('HALF_OPEN', { type: 'probed', delivered }, this.settings);
      if (transition === 'reopened' && (await this.repository.reopenCircuit(endpointId))) {
        this.metrics.circuitTransitions.inc({ transition });
      }
      if (transition === 'closed') await this.close(endpointId);
      return;
    }
    const opened = delivered ? undefined : await this.repository.openIfFailing(endpointId, this.config.circuit);
    if (!opened) return;
    this.metrics.circuitTransitions.inc({ transition: 'opened' });
    this.logger.warn(`endpoint ${endpointId} failed too often: circuit open for ${this.settings.cooldownMs} ms`);
    // ACTIVE → OPEN only: a probe that fails reopens the circuit every cooldown, which is no news to ops.
    await this.changes.tell({ change: 'circuit_opened', endpointId, ...opened, episode: opened.openedAt.toISOString() });
  }

  private async close(endpointId: string): Promise<void> {
    const closed = await this.repository.closeCircuit(endpointId);
    if (!closed) return;
    const { openedAt } = closed;
    this.metrics.circuitTransitions.inc({ transition: 'closed' });
    // Each open spell (its opening, or its last reopening) closes once: its time names the change.
    await this.changes.tell({ change: 'circuit_closed', endpointId, ...closed, episode: openedAt.toISOString() });
    const rerun = await this.endpoints.recover(endpointId, openedAt, 'circuit breaker');
    this.logger.log(`endpoint ${endpointId} is closed again; re-ran ${rerun} notifications that failed while it was open`);
  }
}
