import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type EndpointState = 'ACTIVE' | 'OPEN' | 'HALF_OPEN' | 'DISABLED';
export type SuccessRule = 'body' | '2xx';

/**
 * Where merchant notifications go: the origin (`scheme://host:port`) of a notifyUrl,
 * created on first use. ACTIVE is a closed circuit; OPEN sends nothing until the cooldown is
 * over, then HALF_OPEN sends one probe; DISABLED sends nothing until ops enable it.
 */
@Entity('endpoints')
@Index('endpoints_origin', ['origin'], { unique: true })
export class Endpoint {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  origin: string;

  @Column({ type: 'text', default: 'ACTIVE' })
  state: EndpointState;

  @Column({ name: 'disabled_reason', type: 'text', nullable: true })
  disabledReason: string | null;

  /** What counts as delivered here; null: the platform's default (NOTIFY_SUCCESS_BODY). */
  @Column({ name: 'success_rule', type: 'text', nullable: true })
  successRule: SuccessRule | null;

  /** Set by ops: requests in flight at once, never more, whatever the adaptive limit says; null: no cap of its own. */
  @Column({ type: 'int', nullable: true })
  concurrency: number | null;

  /**
   * The adaptive limit (adaptive-limit.ts), shared by every process: grows while answers come
   * as fast as ever, shrinks when they slow down or time out. Null until the first answer:
   * NOTIFY_ENDPOINT_CONCURRENCY.
   */
  @Column({ name: 'concurrency_limit', type: 'real', nullable: true })
  concurrencyLimit: number | null;

  /** The fastest answer since `latencyFloorSince`: what "as fast as ever" means. */
  @Column({ name: 'latency_floor_ms', type: 'real', nullable: true })
  latencyFloorMs: number | null;

  @Column({ name: 'latency_floor_since', type: 'timestamptz', nullable: true })
  latencyFloorSince: Date | null;

  /** The answer times of the last attempts (ms), newest last, for the p50/p99 ops see. */
  @Column({ type: 'int', array: true, default: () => "'{}'" })
  latencies: number[];

  /** Notifications waiting in each process's line for this endpoint: process id → { count, until (epoch ms) }. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  waiting: Record<string, { count: number; until: number }>;

  /** Requests a second, at most; null: no limit. */
  @Column({ name: 'rate_limit', type: 'int', nullable: true })
  rateLimit: number | null;

  /**
   * The attempts in flight, every process's: event id → until when (epoch ms) its slot is
   * held, which is as long as its notification's lease, so a process that died mid-send gives
   * its slot back when its lease runs out. In the row itself, not counted from another
   * table, so that taking a slot checks and updates one row under its lock: two processes
   * can never both take the last one.
   */
  @Column({ name: 'in_flight', type: 'jsonb', default: () => "'{}'" })
  inFlight: Record<string, number>;

  /** When the requests of the last second went out; kept only while a rate limit is set. */
  @Column({ name: 'recent_sends', type: 'timestamptz', array: true, default: () => "'{}'" })
  recentSends: Date[];

  /** When the circuit last opened: what failed since then is re-run when it closes. */
  @Column({ name: 'opened_at', type: 'timestamptz', nullable: true })
  openedAt: Date | null;

  /** When the half-open probe went out; a probe whose process died is taken over after a whole attempt. */
  @Column({ name: 'probe_at', type: 'timestamptz', nullable: true })
  probeAt: Date | null;

  /** The first failure since the last success: failing for NOTIFY_DISABLE_AFTER disables the endpoint. */
  @Column({ name: 'failing_since', type: 'timestamptz', nullable: true })
  failingSince: Date | null;

  @Column({ name: 'last_success_at', type: 'timestamptz', nullable: true })
  lastSuccessAt: Date | null;

  @Column({ name: 'last_failure_at', type: 'timestamptz', nullable: true })
  lastFailureAt: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
