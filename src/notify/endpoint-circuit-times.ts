import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { notifyConfig } from '../config/notify.config';
import type { EndpointState } from './endpoint.entity';
import { EndpointsRepository } from './endpoints.repository';

/** When an open circuit opened and when its cooldown ends, or when a half-open one sent its probe. */
export interface CircuitTimes {
  openedAt?: string;
  /** OPEN: from then on, the next attempt to the endpoint is the one probe. */
  cooldownEndsAt?: string;
  /** HALF_OPEN: when the probe went out; its outcome closes or reopens the circuit. */
  probeSentAt?: string;
}

/**
 * What ops need to know of a circuit that is not closed: without it an OPEN endpoint looks
 * stuck for good. Read only for those endpoints (few, and one row by key each), so an
 * endpoints page of closed circuits costs nothing more.
 */
@Injectable()
export class EndpointCircuitTimes {
  private readonly cooldownMs: number;

  constructor(
    private readonly endpoints: EndpointsRepository,
    @Inject(notifyConfig.KEY) config: ConfigType<typeof notifyConfig>,
  ) {
    this.cooldownMs = config.circuit.cooldownMs;
  }

  async add<T extends { id: string; state: EndpointState }>(view: T): Promise<T & CircuitTimes> {
    if (view.state !== 'OPEN' && view.state !== 'HALF_OPEN') return view;
    const clock = await this.endpoints.circuitClock(view.id);
    if (!clock?.openedAt) return view;
    const times: CircuitTimes = { openedAt: clock.openedAt.toISOString() };
    if (clock.state === 'OPEN') times.cooldownEndsAt = new Date(clock.openedAt.getTime() + this.cooldownMs).toISOString();
    if (clock.state === 'HALF_OPEN' && clock.probeAt) times.probeSentAt = clock.probeAt.toISOString();
    return { ...view, ...times };
  }
}
