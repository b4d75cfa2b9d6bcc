import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EventTransaction } from './event-transaction';
import { OutboxMessage } from './outbox-message.entity';
import { OutboxPublisher } from './outbox-publisher';

/** Reliable publish (SPEC §7): events commit with their cause, then go out with confirms. */
@Injectable()
export class Coordinator {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly publisher: OutboxPublisher,
  ) {}

  async transaction<T>(work: (transaction: EventTransaction) => Promise<T>): Promise<T> {
    let transaction: EventTransaction | undefined;
    const result = await this.dataSource.transaction(async (manager) => {
      transaction = new EventTransaction(manager, this.publisher.writerLeaseMs);
      const value = await work(transaction);
      await transaction.settle();
      return value;
    });
    if (transaction && transaction.emitted.length > 0 && transaction.writerLeaseMs > 0) this.publisher.publishSoon(transaction.emitted);
    return result;
  }

  /**
   * Records, before work whose outcome lives outside our database, that an event may be
   * owed (PREPARE, checked back by `checkBackId`). One per kind and id: a second call
   * while one is open returns the same row.
   */
  async prepare(kind: string, checkBackId: string): Promise<string> {
    const inserted: { id: string }[] = await this.dataSource.query(
      `INSERT INTO outbox (id, state, kind, check_back_id) VALUES ($1, 'PREPARE', $2, $3)
       ON CONFLICT (kind, check_back_id) WHERE state = 'PREPARE' DO NOTHING RETURNING id`,
      [randomUUID(), kind, checkBackId],
    );
    if (inserted.length > 0) return inserted[0].id;
    const open = await this.dataSource.manager.findOneByOrFail(OutboxMessage, { kind, checkBackId, state: 'PREPARE' });
    return open.id;
  }

  /**
   * An SQL expression: whether outside work of `kind` for the id `checkBackId` (an SQL
   * expression) is under way, so a caller can ask in the statement that reads its own row.
   */
  preparedSql(kind: string, checkBackId: string): string {
    if (!/^[a-z-]+$/.test(kind)) throw new Error(`not a check-back kind: ${kind}`);
    return `EXISTS (SELECT 1 FROM outbox WHERE state = 'PREPARE' AND kind = '${kind}' AND check_back_id = ${checkBackId})`;
  }

  /** The outside work did not happen: nothing is owed. */
  async drop(preparedId: string): Promise<void> {
    await this.dataSource.manager.delete(OutboxMessage, { id: preparedId, state: 'PREPARE' });
  }
}
