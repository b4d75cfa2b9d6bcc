import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What a collected gauge is called and labelled by, as Prometheus shows it. */
export interface GaugeDefinition<Label extends string> {
  name: string;
  help: string;
  labelNames?: readonly Label[];
}

/**
 * The Prometheus metrics of one process. Its own Registry rather than prom-client's
 * global one, so several application instances in one process (tests) never collide.
 * Counts that live in the database are read at scrape time, not kept in memory, by the
 * module that owns them (`gauge`): metrics knows no module's tables.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'backstop_http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'backstop_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly handlerRuns = new Counter({
    name: 'backstop_handler_runs_total',
    help: 'Handler runs by handler and outcome (done, skipped, retried, not_yet, failed, poison, rerun_resolved, rerun_failed)',
    labelNames: ['handler', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly retries = new Counter({
    name: 'backstop_retries_total',
    help: 'Messages sent to a delay queue, by handler and tier (the delay)',
    labelNames: ['handler', 'tier'] as const,
    registers: [this.registry],
  });

  /** No endpoint label: merchants are many; the endpoints API shows each one's p50/p99. */
  readonly deliveryDuration = new Histogram({
    name: 'backstop_delivery_duration_seconds',
    help: 'Merchant notification attempts that were sent, from request to answer (or timeout), by outcome (delivered, failed)',
    labelNames: ['outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly deliveries = new Counter({
    name: 'backstop_deliveries_total',
    help: 'Merchant notification attempts by outcome (delivered, failed) and the state of their endpoint when they were due',
    labelNames: ['outcome', 'endpoint_state'] as const,
    registers: [this.registry],
  });

  /** Labelled by transition only: endpoints are many, and a label per endpoint would grow without bound. */
  readonly circuitTransitions = new Counter({
    name: 'backstop_endpoint_circuit_transitions_total',
    help: 'Merchant endpoint circuit breaker transitions (opened, probing, closed, reopened)',
    labelNames: ['transition'] as const,
    registers: [this.registry],
  });

  readonly retentionPruned = new Counter({
    name: 'backstop_retention_pruned_total',
    help: 'Rows deleted by retention (PROCESSED_RETENTION, HISTORY_RETENTION), by table',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });

  readonly retentionPartitionsDropped = new Counter({
    name: 'backstop_retention_partitions_dropped_total',
    help: 'Day partitions of history tables dropped by retention, by table',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'backstop_' });
  }

  /** A gauge whose values `collect` sets on every scrape, e.g. counts read from the owner's tables. */
  gauge<Label extends string = never>(definition: GaugeDefinition<Label>, collect: (gauge: Gauge<Label>) => Promise<void>): void {
    new Gauge<Label>({
      name: definition.name,
      help: definition.help,
      labelNames: definition.labelNames ?? [],
      registers: [this.registry],
      async collect() {
        await collect(this);
      },
    });
  }
}
