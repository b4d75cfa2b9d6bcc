import { Injectable } from '@nestjs/common';
import { EVERYTHING, MerchantChange, MerchantChanges } from './merchant-changes';
import { MerchantsRepository, MerchantTermsRow } from './merchants.repository';
import { SecretCipher } from './secret-cipher';

export const MERCHANT_EVENTS = ['order.paid', 'order.rejected', 'order.cancelled'] as const;

export interface MerchantTerms {
  id: string;
  notifyOrigins: string[] | null;
  events: string[];
  successRule: 'body' | '2xx' | null;
}

/** Kept however quiet the change notices are: a safety net under them, not the way changes arrive. */
const TTL_MS = 60_000;
/** Bounds the memory that orders for any number of unknown merchant ids can take. */
const MAX_ENTRIES = 10_000;

interface KnownMerchant {
  terms: MerchantTerms;
  row: MerchantTermsRow;
  /** Decrypted on first use, once per load. */
  keys?: { current: Buffer; previous: Buffer | null };
}

interface Entry {
  merchant: KnownMerchant | null;
  loadedAt: number;
}

/**
 * The merchant registry as the hot path asks it: every `POST /orders` asks `terms`, every
 * notification `signingKeys`. Answers come from memory, unregistered merchants included, and
 * are dropped the moment any process changes the merchant (`MerchantChanges`). While changes
 * cannot be heard, nothing is kept and each call reads the database.
 */
@Injectable()
export class MerchantDirectory {
  private readonly cache = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<KnownMerchant | null>>();
  /** Moves on every change heard, so a load that raced a change is not kept. */
  private generation = 0;

  constructor(
    private readonly repository: MerchantsRepository,
    private readonly cipher: SecretCipher,
    private readonly changes: MerchantChanges,
  ) {
    changes.subscribe((change) => this.forget(change));
  }

  /** The merchant's terms, or null when it is not registered. Cached (see below). */
  async terms(merchantId: string): Promise<MerchantTerms | null> {
    return (await this.lookup(merchantId))?.terms ?? null;
  }

  /** The keys (decoded bytes of whsec_…) its notifications are signed with now: the current one first, then the previous one while its grace lasts; null when not registered. Cached. */
  async signingKeys(merchantId: string): Promise<Buffer[] | null> {
    const merchant = await this.lookup(merchantId);
    if (!merchant) return null;
    const { row } = merchant;
    merchant.keys ??= {
      current: this.cipher.decrypt(row.secret_encrypted, row.id),
      previous: row.previous_secret_encrypted ? this.cipher.decrypt(row.previous_secret_encrypted, row.id) : null,
    };
    // Checked at each call, not at load: the grace ends when it ends, whatever is cached.
    const previousValid = merchant.keys.previous && row.previous_expires_at && row.previous_expires_at.getTime() > Date.now();
    return previousValid ? [merchant.keys.current, merchant.keys.previous!] : [merchant.keys.current];
  }

  private async lookup(merchantId: string): Promise<KnownMerchant | null> {
    const cached = this.cache.get(merchantId);
    if (cached && Date.now() - cached.loadedAt < TTL_MS) return cached.merchant;
    if (!this.changes.live) return this.load(merchantId);
    let loading = this.loading.get(merchantId);
    if (!loading) {
      loading = this.loadAndKeep(merchantId).finally(() => {
        if (this.loading.get(merchantId) === loading) this.loading.delete(merchantId);
      });
      this.loading.set(merchantId, loading);
    }
    return loading;
  }

  private async loadAndKeep(merchantId: string): Promise<KnownMerchant | null> {
    const generation = this.generation;
    const loadedAt = Date.now();
    const merchant = await this.load(merchantId);
    if (this.changes.live && generation === this.generation) {
      this.cache.delete(merchantId);
      if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(merchantId, { merchant, loadedAt });
    }
    return merchant;
  }

  private async load(merchantId: string): Promise<KnownMerchant | null> {
    const row = await this.repository.terms(merchantId);
    if (!row) return null;
    // Frozen: one cached object answers every caller, so none may change it for the others.
    const terms = Object.freeze({
      id: row.id,
      notifyOrigins: row.notify_origins && Object.freeze(row.notify_origins),
      events: Object.freeze(row.events),
      successRule: row.success_rule,
    }) as MerchantTerms;
    return { row, terms };
  }

  private forget(change: MerchantChange): void {
    this.generation += 1;
    if (change === EVERYTHING) {
      this.cache.clear();
      this.loading.clear();
    } else {
      this.cache.delete(change);
      this.loading.delete(change);
    }
  }
}
