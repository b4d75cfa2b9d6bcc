import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Brackets, DataSource, SelectQueryBuilder } from 'typeorm';
import { FailedMessageAction } from './failed-message-action.entity';
import { FailedMessage, FailedMessageStatus } from './failed-message.entity';

/** docs/http-api.md: in lists a payload over 4 KiB is cut; the single view has it whole. */
export const LISTED_PAYLOAD_BYTES = 4096;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A trigram index finds a part of 3 characters or more; a shorter one would read the whole index. */
const SUBSTRING_MIN_LENGTH = 3;

export interface FailedMessageFilter {
  status?: FailedMessageStatus;
  handler?: string;
  /** An order id, a message id or a routing key, whole; or a part of a message id, an order id or the error's first line. */
  q?: string;
  orderId?: string;
  /** First failed at or after. */
  from?: Date;
  /** First failed before. */
  to?: Date;
}

/** A row as lists show it: the payload is whole unless `payloadTruncated`. */
export type ListedFailedMessage = FailedMessage & { payloadTruncated: boolean };

/** The ops listings of failed messages, through TypeORM's entities. */
@Injectable()
export class FailedMessagesListing {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Up to `limit` rows that match, newest first, after `before` (the last row of the previous page) when given. */
  async list(filter: FailedMessageFilter, limit: number, before?: { at: string; id: string }): Promise<ListedFailedMessage[]> {
    const { entities, raw } = await this.listQuery(filter, limit, before).getRawAndEntities<{ listed_payload: string; listed_truncated: boolean }>();
    return entities.map((row, index) => {
      const truncated = raw[index].listed_truncated;
      const payload = truncated ? cutToBytes(raw[index].listed_payload, LISTED_PAYLOAD_BYTES) : raw[index].listed_payload;
      return Object.assign(row, { payload, payloadTruncated: truncated });
    });
  }

  /** The listing's query, not run: `list` runs it, and test/query-plans.e2e-spec.ts reads its plan. */
  listQuery(filter: FailedMessageFilter, limit: number, before?: { at: string; id: string }): SelectQueryBuilder<FailedMessage> {
    const columns = this.dataSource
      .getMetadata(FailedMessage)
      .columns.filter((column) => column.propertyName !== 'payload')
      .map((column) => `failed.${column.propertyName}`);
    const query = this.dataSource.manager
      .createQueryBuilder(FailedMessage, 'failed')
      .select(columns)
      // Cut in the database: a 10 MB poison payload is never read whole for a list. `left`
      // counts characters, so the byte limit is applied again below, on at most 4096 characters.
      .addSelect(`left(failed.payload, ${LISTED_PAYLOAD_BYTES})`, 'listed_payload')
      .addSelect(`octet_length(failed.payload) > ${LISTED_PAYLOAD_BYTES}`, 'listed_truncated')
      .orderBy('failed.first_failed_at', 'DESC')
      .addOrderBy('failed.id', 'DESC')
      .limit(limit);
    if (filter.status) query.andWhere('failed.status = :status', { status: filter.status });
    if (filter.handler) query.andWhere('failed.handler = :handler', { handler: filter.handler });
    if (filter.q) {
      const q = filter.q;
      const wholeId = UUID.test(q);
      query.andWhere(
        new Brackets((where) => {
          // Whole values by their b-tree indexes, as fast as before substring search came.
          where.where('failed.message_id = :q', { q }).orWhere('failed.routing_key = :q', { q });
          // Only a UUID can be an order id; the column holds what the payload names (see FailureRecorder).
          if (wholeId) where.orWhere('failed.order_id = :orderId', { orderId: q.toLowerCase() });
          // Parts by the trigram indexes (failed_messages_*_trgm), each ILIKE on the very expression indexed.
          if (q.length >= SUBSTRING_MIN_LENGTH) {
            const part = `%${q.replace(/[\\%_]/g, '\\$&')}%`;
            if (!wholeId) where.orWhere('failed.message_id ILIKE :part', { part }).orWhere('CAST(failed.order_id AS text) ILIKE :part', { part });
            // The error's first line, its kind and message, as failed_messages_error_trgm indexes it.
            where.orWhere('split_part(failed.error, chr(10), 1) ILIKE :part', { part });
          }
        }),
      );
    }
    // On the first failure, the listing's own order: a bound of the same index scans.
    if (filter.from) query.andWhere('failed.first_failed_at >= :from', { from: filter.from });
    if (filter.to) query.andWhere('failed.first_failed_at < :to', { to: filter.to });
    if (filter.orderId) query.andWhere('failed.order_id = :orderIdFilter', { orderIdFilter: filter.orderId.toLowerCase() });
    // As a row comparison, the cursor is a bound of the index scan, not a filter of every row before it.
    if (before) query.andWhere('(failed.first_failed_at, failed.id) < (:at, :id)', { at: before.at, id: before.id });
    return query;
  }

  find(id: string): Promise<FailedMessage | null> {
    return this.dataSource.manager.findOneBy(FailedMessage, { id });
  }

  /** The audit trail of one row, oldest first. */
  actionsOf(id: string): Promise<FailedMessageAction[]> {
    return this.dataSource.manager.find(FailedMessageAction, { where: { failedMessageId: id }, order: { at: 'ASC', id: 'ASC' } });
  }
}

/** The longest prefix of `text` that is at most `bytes` long in UTF-8, never splitting a character. */
function cutToBytes(text: string, bytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= bytes) return text;
  let end = 0;
  let size = 0;
  for (const character of text) {
    size += Buffer.byteLength(character, 'utf8');
    if (size > bytes) break;
    end += character.length;
  }
  return text.slice(0, end);
}
