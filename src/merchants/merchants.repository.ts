import { Injectable } from '@nestjs/common';
import { Db, Queryable } from '../database/db';
import { Bound, Statement } from '../database/sql';

/** Every process LISTENs on this channel; the payload is the id of the merchant that changed. */
export const MERCHANTS_CHANGED = 'merchants_changed';

export type SuccessRule = 'body' | '2xx';

/** A merchant as ops see it: everything but its secrets. */
export interface MerchantRow {
  id: string;
  name: string;
  notify_origins: string[] | null;
  events: string[];
  success_rule: SuccessRule | null;
  secret_rotated_at: Date | null;
  previous_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** What notifications and order admission need: the terms and the secrets, still encrypted. */
export interface MerchantTermsRow {
  id: string;
  notify_origins: string[] | null;
  events: string[];
  success_rule: SuccessRule | null;
  secret_encrypted: string;
  previous_secret_encrypted: string | null;
  previous_expires_at: Date | null;
}

export interface MerchantSecretsRow {
  id: string;
  secret_encrypted: string;
  previous_secret_encrypted: string | null;
}

/** The terms an operator sets; null: any origin, the default success rule. */
export interface MerchantTermsChange {
  name: string;
  notifyOrigins: string[] | null;
  events: string[];
  successRule: SuccessRule | null;
}

const VIEW = `id, name, notify_origins, events, success_rule, secret_rotated_at, previous_expires_at, created_at, updated_at`;

const insertMerchant = new Statement<MerchantRow>(
  'merchants insert',
  `INSERT INTO merchants (id, name, notify_origins, events, success_rule, secret_encrypted) VALUES ($1, $2, $3, $4, $5, $6)
   ON CONFLICT (id) DO NOTHING RETURNING ${VIEW}`,
);
const merchantById = new Statement<MerchantRow>('merchants view by id', `SELECT ${VIEW} FROM merchants WHERE id = $1`);
const lockMerchant = new Statement<MerchantRow>('merchants lock by id', `SELECT ${VIEW} FROM merchants WHERE id = $1 FOR UPDATE`);
/** A page by id: after $1 (the last id of the previous page) when given. */
const listMerchants = new Statement<MerchantRow>(
  'merchants list',
  `SELECT ${VIEW} FROM merchants WHERE $1::text IS NULL OR id > $1 ORDER BY id LIMIT $2`,
);
const setTerms = new Statement<MerchantRow>(
  'merchants set terms',
  `UPDATE merchants SET name = $2, notify_origins = $3, events = $4, success_rule = $5, updated_at = now() WHERE id = $1 RETURNING ${VIEW}`,
);
/** The current secret becomes the previous one until $3 seconds from now; one rotated before is dropped. */
const rotateSecret = new Statement<MerchantRow>(
  'merchants rotate secret',
  `UPDATE merchants SET previous_secret_encrypted = secret_encrypted, previous_expires_at = now() + make_interval(secs => $3),
          secret_encrypted = $2, secret_rotated_at = now(), updated_at = now()
    WHERE id = $1 RETURNING ${VIEW}`,
);
const expirePreviousSecret = new Statement<MerchantRow>(
  'merchants expire previous secret',
  `UPDATE merchants SET previous_secret_encrypted = NULL, previous_expires_at = NULL, updated_at = now() WHERE id = $1 RETURNING ${VIEW}`,
);
const termsById = new Statement<MerchantTermsRow>(
  'merchants terms by id',
  `SELECT id, notify_origins, events, success_rule, secret_encrypted, previous_secret_encrypted, previous_expires_at FROM merchants WHERE id = $1`,
);
/** Sent with the change's COMMIT: PostgreSQL delivers it to every listener once the change is visible, and never if it rolls back. */
const announceChange = new Statement('merchants announce change', `SELECT pg_notify('${MERCHANTS_CHANGED}', $1)`);
const lockUnderOtherKeys = new Statement<MerchantSecretsRow>(
  'merchants lock secrets under other keys',
  `SELECT id, secret_encrypted, previous_secret_encrypted FROM merchants
    WHERE split_part(secret_encrypted, ':', 2) <> $1 OR split_part(previous_secret_encrypted, ':', 2) <> $1
    ORDER BY id FOR UPDATE`,
);
const setSecrets = new Statement(
  'merchants set secrets',
  `UPDATE merchants SET secret_encrypted = $2, previous_secret_encrypted = $3 WHERE id = $1`,
);

/** The merchants module's SQL. */
@Injectable()
export class MerchantsRepository {
  constructor(private readonly db: Db) {}

  /** The new merchant, or undefined when one with this id exists. */
  async insert(tx: Queryable, id: string, terms: MerchantTermsChange, secretEncrypted: string): Promise<MerchantRow | undefined> {
    const [row] = await tx.run(insertMerchant, [id, terms.name, terms.notifyOrigins, terms.events, terms.successRule, secretEncrypted]);
    return row;
  }

  async find(id: string): Promise<MerchantRow | undefined> {
    return (await this.db.run(merchantById, [id]))[0];
  }

  async lock(tx: Queryable, id: string): Promise<MerchantRow | undefined> {
    return (await tx.run(lockMerchant, [id]))[0];
  }

  list(limit: number, afterId?: string): Promise<MerchantRow[]> {
    return this.db.run(listMerchants, [afterId ?? null, limit]);
  }

  async setTerms(tx: Queryable, id: string, terms: MerchantTermsChange): Promise<MerchantRow> {
    return (await tx.run(setTerms, [id, terms.name, terms.notifyOrigins, terms.events, terms.successRule]))[0];
  }

  async rotateSecret(tx: Queryable, id: string, secretEncrypted: string, graceSeconds: number): Promise<MerchantRow | undefined> {
    return (await tx.run(rotateSecret, [id, secretEncrypted, graceSeconds]))[0];
  }

  async expirePreviousSecret(tx: Queryable, id: string): Promise<MerchantRow | undefined> {
    return (await tx.run(expirePreviousSecret, [id]))[0];
  }

  async terms(id: string): Promise<MerchantTermsRow | undefined> {
    return (await this.db.run(termsById, [id]))[0];
  }

  /** The notice of a change to `id`, to send with the transaction's COMMIT (`Tx.atCommit`). */
  announcement(id: string): Bound {
    return announceChange.bind([id]);
  }

  lockUnderOtherKeys(tx: Queryable, keyId: string): Promise<MerchantSecretsRow[]> {
    return tx.run(lockUnderOtherKeys, [keyId]);
  }

  async setSecrets(tx: Queryable, row: MerchantSecretsRow): Promise<void> {
    await tx.run(setSecrets, [row.id, row.secret_encrypted, row.previous_secret_encrypted]);
  }
}
