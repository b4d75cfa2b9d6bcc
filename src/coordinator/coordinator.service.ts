import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { EventTransaction } from './event-transaction';
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
      transaction = new EventTransaction(manager);
      return work(transaction);
    });
    if (transaction && transaction.emitted.length > 0) this.publisher.publishSoon(transaction.emitted);
    return result;
  }
}
