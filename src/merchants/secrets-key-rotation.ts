import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Db } from '../database/db';
import { MerchantSecretsRow, MerchantsRepository } from './merchants.repository';
import { SecretCipher, SecretUnreadableError } from './secret-cipher';

/**
 * The second half of rotating SECRETS_KEY (docs/operations.md): at start, every merchant
 * secret still under another key is re-encrypted under SECRETS_KEY, in one transaction.
 * Idempotent: rows already under it are not touched, and processes starting together wait
 * for each other's row locks and then find nothing left. A secret under a key this process
 * does not have is left as it is and reported; the platform still starts, since it serves
 * every other merchant, and that merchant's notifications fail with the same message.
 */
@Injectable()
export class SecretsKeyRotation implements OnModuleInit {
  private readonly logger = new Logger(SecretsKeyRotation.name);

  constructor(
    private readonly db: Db,
    private readonly repository: MerchantsRepository,
    private readonly cipher: SecretCipher,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.reencrypt();
  }

  /** Answers how many merchants' secrets were re-encrypted. */
  async reencrypt(): Promise<number> {
    const current = this.cipher.currentKeyId;
    const unreadable: string[] = [];
    const from = new Set<string>();
    const moved = await this.db.transaction(async (tx) => {
      const rows = await this.repository.lockUnderOtherKeys(tx, current);
      let count = 0;
      for (const row of rows) {
        try {
          const reencrypted: MerchantSecretsRow = {
            id: row.id,
            secret_encrypted: this.underCurrent(row.secret_encrypted, row.id, from),
            previous_secret_encrypted: row.previous_secret_encrypted && this.underCurrent(row.previous_secret_encrypted, row.id, from),
          };
          await this.repository.setSecrets(tx, reencrypted);
          count += 1;
        } catch (error) {
          if (!(error instanceof SecretUnreadableError)) throw error;
          unreadable.push(`${row.id}: ${error.message}`);
        }
      }
      return count;
    });
    if (moved > 0) this.logger.log(`re-encrypted the secrets of ${moved} merchant(s) under SECRETS_KEY ${current} (they were under ${[...from].join(', ')})`);
    if (unreadable.length > 0) {
      this.logger.error(`cannot read the secrets of ${unreadable.length} merchant(s), left as they are:\n  ${unreadable.slice(0, 20).join('\n  ')}`);
    }
    return moved;
  }

  private underCurrent(stored: string, merchantId: string, from: Set<string>): string {
    const keyId = SecretCipher.keyIdOf(stored);
    if (keyId === this.cipher.currentKeyId) return stored;
    const plaintext = this.cipher.decrypt(stored, merchantId);
    from.add(keyId);
    return this.cipher.encrypt(plaintext, merchantId);
  }
}
