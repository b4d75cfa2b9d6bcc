import { randomBytes } from 'node:crypto';
import { secretsKey } from '../config/secrets.config';
import { SecretCipher, SecretUnreadableError } from './secret-cipher';

const newKey = () => secretsKey(randomBytes(32).toString('base64'));

describe('SecretCipher', () => {
  const key = newKey();
  const cipher = new SecretCipher(key);
  const secret = randomBytes(32);

  it('reads back what it wrote, for the same merchant', () => {
    const stored = cipher.encrypt(secret, 'merchant-1');
    expect(cipher.decrypt(stored, 'merchant-1')).toEqual(secret);
  });

  it('records the key id, and never the secret or its base64', () => {
    const stored = cipher.encrypt(secret, 'merchant-1');
    expect(stored).toMatch(new RegExp(`^v1:${key.id}:[A-Za-z0-9+/]+=*$`));
    expect(key.id).toMatch(/^[0-9a-f]{8}$/);
    expect(SecretCipher.keyIdOf(stored)).toBe(key.id);
    for (const form of [secret.toString('base64'), secret.toString('base64url'), secret.toString('hex')]) expect(stored).not.toContain(form);
    expect(Buffer.from(stored.split(':')[2], 'base64').includes(secret)).toBe(false);
  });

  it('writes a fresh nonce each time', () => {
    expect(cipher.encrypt(secret, 'merchant-1')).not.toBe(cipher.encrypt(secret, 'merchant-1'));
  });

  it('names both key ids when the value is under another key', () => {
    const other = newKey();
    const stored = new SecretCipher(other).encrypt(secret, 'merchant-1');
    const read = () => cipher.decrypt(stored, 'merchant-1');
    expect(read).toThrow(SecretUnreadableError);
    expect(read).toThrow(`encrypted under key ${other.id}, SECRETS_KEY is ${key.id}, SECRETS_KEY_PREVIOUS is unset`);
  });

  it('reads a value under SECRETS_KEY_PREVIOUS, and writes under SECRETS_KEY', () => {
    const old = newKey();
    const stored = new SecretCipher(old).encrypt(secret, 'merchant-1');
    const rotating = new SecretCipher(key, old);
    expect(rotating.decrypt(stored, 'merchant-1')).toEqual(secret);
    expect(SecretCipher.keyIdOf(rotating.encrypt(secret, 'merchant-1'))).toBe(key.id);
  });

  it.each([
    ['the ciphertext', (bytes: Buffer) => (bytes[bytes.length - 1] ^= 1)],
    ['the tag', (bytes: Buffer) => (bytes[12] ^= 1)],
    ['the nonce', (bytes: Buffer) => (bytes[0] ^= 1)],
  ])('refuses a value when %s was altered', (_, alter) => {
    const [version, keyId, payload] = cipher.encrypt(secret, 'merchant-1').split(':');
    const bytes = Buffer.from(payload, 'base64');
    alter(bytes);
    const read = () => cipher.decrypt(`${version}:${keyId}:${bytes.toString('base64')}`, 'merchant-1');
    expect(read).toThrow(`under key ${keyId} failed authentication`);
  });

  it("refuses another merchant's value copied onto this one", () => {
    const stored = cipher.encrypt(secret, 'merchant-1');
    expect(() => cipher.decrypt(stored, 'merchant-2')).toThrow('failed authentication');
  });

  it.each([['plain text'], ['v2:abcd1234:AAAA'], [`v1:${key.id}:AAAA`], [`v1:${key.id}:AAAA:extra`]])('refuses %j', (stored) => {
    expect(() => cipher.decrypt(stored, 'merchant-1')).toThrow(SecretUnreadableError);
  });
});
