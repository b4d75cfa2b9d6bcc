import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AuditTrail, RecordedOpsAction } from '../audit/audit-trail';
import { Db, Tx } from '../database/db';
import { MerchantChanges } from './merchant-changes';
import { MERCHANT_EVENTS } from './merchant-directory';
import { MerchantException } from './merchant.exception';
import type { CreateMerchantBody, UpdateMerchantBody } from './merchants.dto';
import { MerchantRow, MerchantsRepository, MerchantTermsChange } from './merchants.repository';
import { SecretCipher } from './secret-cipher';

/** Standard Webhooks: a secret is `whsec_` and the base64 of its key; ours are 32 random bytes. */
const SECRET_BYTES = 32;
const webhookSecret = (key: Buffer) => `whsec_${key.toString('base64')}`;

const subject = (id: string) => ({ type: 'merchant', id });

/**
 * The merchant registry's changes, as ops make them. Each change, its audit record and the
 * notice that drops every process's cached copy of the merchant commit together; the
 * secrets are made here, stored encrypted, and handed out only in the answer that made them.
 */
@Injectable()
export class MerchantsService {
  constructor(
    private readonly db: Db,
    private readonly repository: MerchantsRepository,
    private readonly cipher: SecretCipher,
    private readonly changes: MerchantChanges,
    private readonly audit: AuditTrail,
  ) {}

  async create(body: CreateMerchantBody, actor: string): Promise<{ merchant: MerchantRow; secret: string }> {
    const terms: MerchantTermsChange = {
      name: body.name,
      notifyOrigins: originsOf(body.notifyOrigins ?? null),
      events: eventsOf(body.events ?? [...MERCHANT_EVENTS]),
      successRule: body.successRule ?? null,
    };
    const key = randomBytes(SECRET_BYTES);
    const merchant = await this.change(body.id, async (tx) => {
      const row = await this.repository.insert(tx, body.id, terms, this.cipher.encrypt(key, body.id));
      if (!row) throw MerchantException.exists(body.id);
      await this.audit.record({ actor, action: 'merchant.create', subject: subject(body.id), detail: { ...terms } }, tx);
      return row;
    });
    return { merchant, secret: webhookSecret(key) };
  }

  async get(id: string): Promise<{ merchant: MerchantRow; actions: RecordedOpsAction[] }> {
    const merchant = await this.repository.find(id);
    if (!merchant) throw MerchantException.notFound(id);
    return { merchant, actions: await this.audit.of(subject(id)) };
  }

  /** A page of merchants by id, and the cursor of the next one (undefined on the last). */
  async list(limit: number, cursor?: string): Promise<{ items: MerchantRow[]; nextCursor?: string }> {
    const rows = await this.repository.list(limit + 1, cursor === undefined ? undefined : idOfCursor(cursor));
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? cursorAfter(items[items.length - 1].id) : undefined };
  }

  /** Sets the fields the body names; records what changed, from what to what. */
  async update(id: string, body: UpdateMerchantBody, actor: string): Promise<MerchantRow> {
    return this.change(id, async (tx) => {
      const row = await this.repository.lock(tx, id);
      if (!row) throw MerchantException.notFound(id);
      const was: MerchantTermsChange = { name: row.name, notifyOrigins: row.notify_origins, events: row.events, successRule: row.success_rule };
      const next: MerchantTermsChange = {
        name: body.name ?? was.name,
        notifyOrigins: body.notifyOrigins === undefined ? was.notifyOrigins : originsOf(body.notifyOrigins),
        events: body.events === undefined ? was.events : eventsOf(body.events),
        successRule: body.successRule === undefined ? was.successRule : body.successRule,
      };
      const changed = (Object.keys(next) as (keyof MerchantTermsChange)[]).filter((field) => JSON.stringify(next[field]) !== JSON.stringify(was[field]));
      if (changed.length === 0) return row;
      const detail = Object.fromEntries(changed.map((field) => [field, { from: was[field], to: next[field] }]));
      await this.audit.record({ actor, action: 'merchant.update', subject: subject(id), detail }, tx);
      return this.repository.setTerms(tx, id, next);
    });
  }

  /** A new secret becomes current; the old one still signs, beside it, for `graceSeconds`. */
  async rotateSecret(id: string, graceSeconds: number, actor: string): Promise<{ secret: string; previousSecretExpiresAt: Date }> {
    const key = randomBytes(SECRET_BYTES);
    const row = await this.change(id, async (tx) => {
      const rotated = await this.repository.rotateSecret(tx, id, this.cipher.encrypt(key, id), graceSeconds);
      if (!rotated) throw MerchantException.notFound(id);
      const detail = { graceSeconds, previousSecretExpiresAt: rotated.previous_expires_at!.toISOString() };
      await this.audit.record({ actor, action: 'merchant.rotate-secret', subject: subject(id), detail }, tx);
      return rotated;
    });
    return { secret: webhookSecret(key), previousSecretExpiresAt: row.previous_expires_at! };
  }

  /** Ends a rotation's grace now: only the current secret signs from here on. */
  async expirePreviousSecret(id: string, actor: string): Promise<MerchantRow> {
    return this.change(id, async (tx) => {
      const row = await this.repository.expirePreviousSecret(tx, id);
      if (!row) throw MerchantException.notFound(id);
      await this.audit.record({ actor, action: 'merchant.expire-previous-secret', subject: subject(id) }, tx);
      return row;
    });
  }

  /** Runs a change of one merchant; every process, this one at once, forgets what it had cached of it. */
  private async change<T>(id: string, work: (tx: Tx) => Promise<T>): Promise<T> {
    const value = await this.db.transaction(async (tx) => {
      const result = await work(tx);
      tx.atCommit(this.repository.announcement(id));
      return result;
    });
    this.changes.changedHere(id);
    return value;
  }
}

/** Each origin as `new URL(x).origin` writes it (lower-case host, no default port), once each. */
function originsOf(origins: string[] | null): string[] | null {
  return origins && [...new Set(origins.map((origin) => new URL(origin).origin))];
}

/** In the catalogue's order, so equal sets read the same. */
function eventsOf(events: string[]): string[] {
  return MERCHANT_EVENTS.filter((event) => events.includes(event));
}

function cursorAfter(id: string): string {
  return Buffer.from(JSON.stringify([id])).toString('base64url');
}

function idOfCursor(cursor: string): string {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
  } catch {
    /* not one of ours */
  }
  throw MerchantException.badCursor();
}
