import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretsKey } from '../config/secrets.config';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A stored secret that cannot be read: under a key this process does not have, or altered. */
export class SecretUnreadableError extends Error {
  readonly name = 'SecretUnreadableError';
}

/**
 * Merchant secrets at rest: AES-256-GCM under SECRETS_KEY, as `v1:<key id>:<base64 of iv, tag
 * and ciphertext>`. The key id (docs/configuration.md) says which key a value is under, so a
 * wrong key is reported as such, and SECRETS_KEY_PREVIOUS is used only for the values still
 * under it. `context` (the merchant's id) is authenticated with the value: a ciphertext copied
 * onto another merchant's row is refused, not used to sign that merchant's notifications.
 */
export class SecretCipher {
  constructor(
    private readonly current: SecretsKey,
    private readonly previous?: SecretsKey,
  ) {}

  get currentKeyId(): string {
    return this.current.id;
  }

  encrypt(plaintext: Buffer, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return `${VERSION}:${this.current.id}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  decrypt(stored: string, context: string): Buffer {
    const [version, keyId, payload, extra] = stored.split(':');
    if (version !== VERSION || !keyId || !payload || extra !== undefined) throw new SecretUnreadableError('a stored merchant secret is not in the v1 format');
    const key = this.keyFor(keyId);
    const bytes = Buffer.from(payload, 'base64');
    if (bytes.length <= IV_BYTES + TAG_BYTES) throw new SecretUnreadableError(`a stored merchant secret under key ${keyId} is cut short`);
    const decipher = createDecipheriv('aes-256-gcm', key.key, bytes.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new SecretUnreadableError(
        `a stored merchant secret under key ${keyId} failed authentication: it was altered, or belongs to another merchant`,
      );
    }
  }

  /** The id of the key a stored value is under. */
  static keyIdOf(stored: string): string {
    return stored.split(':')[1] ?? '';
  }

  private keyFor(keyId: string): SecretsKey {
    if (keyId === this.current.id) return this.current;
    if (keyId === this.previous?.id) return this.previous;
    const previous = this.previous ? `, SECRETS_KEY_PREVIOUS is ${this.previous.id}` : ', SECRETS_KEY_PREVIOUS is unset';
    throw new SecretUnreadableError(
      `a merchant secret is encrypted under key ${keyId}, SECRETS_KEY is ${this.current.id}${previous}: ` +
        'set SECRETS_KEY_PREVIOUS to the key it was made under (docs/operations.md, rotating SECRETS_KEY)',
    );
  }
}
