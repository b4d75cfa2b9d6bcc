import { createEnvelope, EventMap, RoutingKey } from '@backstop/transport';
import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';
import type { Bound } from '../database/sql';
import { EventTransaction } from './event-transaction';
import { OutboxPublisher } from './outbox-publisher';
import { OutboxRepository } from './outbox.repository';

/** An event a change causes, for `commit`. */
export type Emission = { [K in RoutingKey]: { type: K; data: EventMap[K] } }[RoutingKey];

/**
 * Reliable publish: events commit with their cause (an outbox row in the same transaction),
 * then go out with publisher confirms. Outside work whose outcome may owe an event is
 * recorded first (PREPARE) and checked back if its answer never comes.
 */
@Injectable()
export class Coordinator {
  constructor(
    private readonly db: Db,
    private readonly outbox: OutboxRepository,
    private readonly publisher: OutboxPublisher,
  ) {}

  /**
   * Runs `work` in a transaction whose events are published after commit. `opening` is
   * sent with BEGIN in one round trip, and `work` takes its answers (`answerTo`, `run`): a
   * handler's first statement, marking its message processed, and the reads it knows it
   * will make.
   */
  async transaction<T>(work: (transaction: EventTransaction) => Promise<T>, opening?: Bound[]): Promise<T> {
    const writerLeaseMs = this.publisher.writerLeaseMs;
    let events!: EventTransaction;
    const value = await this.db.transaction(async (tx) => {
      events = new EventTransaction(tx, this.outbox, writerLeaseMs);
      const done = await work(events);
      events.close();
      return done;
    }, opening);
    for (const then of events.committed) then();
    if (events.emitted.length > 0 && writerLeaseMs > 0) this.publisher.publishSoon(events.emitted);
    return value;
  }

  /**
   * A change known in full before it is sent, one statement and the events it causes, in
   * one round trip and one transaction, where `transaction` takes three (BEGIN, the
   * statement, the commit). If the statement fails, nothing is written and nothing published.
   */
  async commit(change: Bound, events: Emission[]): Promise<void> {
    const writerLeaseMs = this.publisher.writerLeaseMs;
    const envelopes = events.map(({ type, data }) => createEnvelope(type, data));
    await this.db.runTogether(envelopes.length > 0 ? [change, this.outbox.insertReady(envelopes, writerLeaseMs)] : [change]);
    if (envelopes.length > 0 && writerLeaseMs > 0) this.publisher.publishSoon(envelopes);
  }

  /**
   * Records, before work whose outcome lives outside our database, that an event may be
   * owed (PREPARE, checked back by `checkBackId`). One per kind and id: a second call
   * while one is open returns the same row.
   */
  prepare(kind: string, checkBackId: string): Promise<string> {
    return this.outbox.prepare(kind, checkBackId);
  }

  /** The outside work did not happen: nothing is owed. */
  drop(preparedId: string): Promise<void> {
    return this.outbox.dropPrepared(preparedId);
  }
}
