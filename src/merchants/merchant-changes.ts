import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Client } from 'pg';
import { databaseConfig } from '../config/database.config';
import { backoffMs } from '../database/backoff';
import { MERCHANTS_CHANGED } from './merchants.repository';

/** A merchant's id, or `everything` when changes may have gone unheard. */
export type MerchantChange = string | typeof EVERYTHING;
export const EVERYTHING = Symbol('every merchant');

const RECONNECT_BASE_MS = 100;
const RECONNECT_MAX_MS = 10_000;

/**
 * Hears every change to a merchant, made by this process or any other: a connection of its
 * own LISTENs on `merchants_changed`, which each change's transaction notifies on commit.
 * `live` says whether a change made elsewhere would be heard now; while it is not (the
 * connection dropped, or is not up yet), a cache must not trust itself. When the connection
 * drops, or comes back, `everything` is announced, since what was sent meanwhile was lost. It
 * reconnects with backoff, and a database going away never ends the process.
 */
@Injectable()
export class MerchantChanges implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(MerchantChanges.name);
  private readonly listeners: ((change: MerchantChange) => void)[] = [];
  private client?: Client;
  private listening = false;
  private failures = 0;
  private reconnect?: NodeJS.Timeout;
  private stopped = false;

  constructor(@Inject(databaseConfig.KEY) private readonly config: ConfigType<typeof databaseConfig>) {}

  get live(): boolean {
    return this.listening;
  }

  subscribe(listener: (change: MerchantChange) => void): void {
    this.listeners.push(listener);
  }

  /** A change this process committed: heard here at once, before its notice comes back. */
  changedHere(merchantId: string): void {
    this.announce(merchantId);
  }

  async onModuleInit(): Promise<void> {
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnect);
    const client = this.client;
    this.client = undefined;
    this.listening = false;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({
      connectionString: this.config.url,
      application_name: 'backstop merchant changes',
      // A connection cut without a FIN (a partition, a NAT timeout) is found out, not listened on forever.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: 5_000,
    });
    this.client = client;
    client.on('error', (error) => this.dropped(client, error));
    client.on('end', () => this.dropped(client));
    client.on('notification', ({ channel, payload }) => {
      if (channel === MERCHANTS_CHANGED && payload) this.announce(payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${MERCHANTS_CHANGED}`);
    } catch (error) {
      this.dropped(client, error as Error);
      return;
    }
    if (this.client !== client) return;
    if (this.failures > 0) this.logger.log('listening for merchant changes again');
    this.failures = 0;
    this.listening = true;
    this.announce(EVERYTHING);
  }

  private dropped(client: Client, error?: Error): void {
    // 'error' and 'end' both come for one loss; a late one from an old connection changes nothing.
    client.on('error', () => undefined);
    if (this.client !== client) return;
    this.client = undefined;
    this.listening = false;
    void client.end().catch(() => undefined);
    this.announce(EVERYTHING);
    if (this.stopped) return;
    this.failures += 1;
    const delayMs = backoffMs(this.failures, RECONNECT_BASE_MS, RECONNECT_MAX_MS);
    const message = `not listening for merchant changes (${error?.message ?? 'connection ended'}): merchants are read from the database on every call until it is back; trying again in ${delayMs} ms`;
    if (this.failures === 1) this.logger.warn(message);
    else this.logger.debug(message);
    this.reconnect = setTimeout(() => void this.connect(), delayMs);
    this.reconnect.unref();
  }

  private announce(change: MerchantChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
