import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { notifyConfig } from '../config/notify.config';
import { Statement } from '../database/statement';
import { Metrics } from '../ops/metrics.service';
import type { EndpointState } from './endpoint.entity';
import { EndpointsService } from './endpoints.service';

export const CIRCUIT_OPEN = 'endpoint circuit open';

/** What an attempt may do at its endpoint: send, send as the half-open probe, or nothing. */
export type Admission = 'send' | 'probe' | 'open';

/** Counts toward opening: a timeout, a broken connection, a 5xx. Not a 4xx, and not an attempt that was never sent. */
const COUNTED = `d.endpoint_id = $1 AND d.attempted_at > now() - $2 * interval '1 millisecond' AND d.delivered IS NOT NULL
  AND coalesce(d.error, '') NOT IN ('${CIRCUIT_OPEN}', 'endpoint disabled')`;
const FAILED = `NOT d.delivered AND (d.http_status IS NULL OR d.http_status >= 500)`;

/** ACTIVE → OPEN when, over the window, at least $3 attempts were made and a share of at least $4 failed. */
const openIfFailing = new Statement(
  'open circuit',
  `UPDATE endpoints SET state = 'OPEN', opened_at = now()
    WHERE id = $1 AND state = 'ACTIVE'
      AND (SELECT count(*) >= $3 AND count(*) FILTER (WHERE ${FAILED}) >= $4::float8 * count(*) FROM deliveries d WHERE ${COUNTED})
    RETURNING id`,
);
/** The one probe of an open circuit whose cooldown ($2) is over, or of a half-open one whose probe died ($3). */
const takeProbe = new Statement(
  'take circuit probe',
  `UPDATE endpoints SET state = 'HALF_OPEN', probe_at = now()
    WHERE id = $1 AND ((state = 'OPEN' AND opened_at <= now() - $2 * interval '1 millisecond')
                    OR (state = 'HALF_OPEN' AND probe_at <= now() - $3 * interval '1 millisecond'))
    RETURNING id`,
);
const closeAfterProbe = new Statement<{ opened_at: Date }>(
  'close circuit',
  `UPDATE endpoints SET state = 'ACTIVE', probe_at = NULL WHERE id = $1 AND state = 'HALF_OPEN' RETURNING opened_at`,
);
const reopenAfterProbe = new Statement(
  'reopen circuit',
  `UPDATE endpoints SET state = 'OPEN', opened_at = now(), probe_at = NULL WHERE id = $1 AND state = 'HALF_OPEN' RETURNING id`,
);

/**
 * The circuit breaker of each endpoint (SPEC §8). An attempt to an OPEN endpoint is not sent
 * and counts as failed, so the schedule and the failure ledger go on as usual; after the
 * cooldown one probe goes out (HALF_OPEN): success closes the circuit and re-runs at once
 * what failed for good while it was open, failure opens it again. The state lives in the
 * database, so every process sees the same circuit.
 */
@Injectable()
export class CircuitBreaker {
  private readonly logger = new Logger(CircuitBreaker.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly endpoints: EndpointsService,
    private readonly metrics: Metrics,
    @Inject(notifyConfig.KEY) private readonly config: ConfigType<typeof notifyConfig>,
  ) {}

  async admit(endpointId: string, state: EndpointState): Promise<Admission> {
    if (state === 'ACTIVE') return 'send';
    const probeLeaseMs = this.config.timeoutMs * 2;
    const [probe] = await takeProbe.run(this.dataSource, [endpointId, this.config.circuit.cooldownMs, probeLeaseMs]);
    if (probe) this.metrics.circuitTransitions.inc({ transition: 'probing' });
    return probe ? 'probe' : 'open';
  }

  /** After a sent attempt: a failure may open the circuit; a probe's outcome closes or reopens it. */
  async after(endpointId: string, admission: Admission, delivered: boolean): Promise<void> {
    const { windowMs, minRequests, failureRate } = this.config.circuit;
    if (admission === 'probe') {
      if (!delivered) {
        const [reopened] = await reopenAfterProbe.run(this.dataSource, [endpointId]);
        if (reopened) this.metrics.circuitTransitions.inc({ transition: 'reopened' });
        return;
      }
      const [closed] = await closeAfterProbe.run(this.dataSource, [endpointId]);
      if (!closed) return;
      this.metrics.circuitTransitions.inc({ transition: 'closed' });
      const rerun = await this.endpoints.recover(endpointId, closed.opened_at, 'circuit breaker');
      this.logger.log(`endpoint ${endpointId} is closed again; re-ran ${rerun} notifications that failed while it was open`);
      return;
    }
    if (delivered) return;
    const [opened] = await openIfFailing.run(this.dataSource, [endpointId, windowMs, minRequests, failureRate]);
    if (!opened) return;
    this.metrics.circuitTransitions.inc({ transition: 'opened' });
    this.logger.warn(`endpoint ${endpointId} failed too often: circuit open for ${this.config.circuit.cooldownMs} ms`);
  }
}
