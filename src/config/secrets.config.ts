import { validateEnvironment } from '@backstop/transport';
import { registerAs } from '@nestjs/config';
import { registerDecorator, ValidateIf } from 'class-validator';
import { createHash } from 'node:crypto';

const KEY_BYTES = 32;
const HOW_TO_MAKE = 'make one with: openssl rand -base64 32';

/** Base64 (standard alphabet, padded or not) that decodes to exactly 32 bytes: an AES-256 key. */
function IsBase64Key() {
  return (target: object, property: string) =>
    registerDecorator({
      name: 'isBase64Key',
      target: target.constructor,
      propertyName: property,
      options: { message: `${property} must be ${KEY_BYTES} random bytes in base64 (44 characters); ${HOW_TO_MAKE}` },
      validator: { validate: (value: unknown) => typeof value === 'string' && decodesToKey(value.trim()) },
    });
}

function decodesToKey(value: string): boolean {
  // Buffer.from skips characters that are not base64, so the text is checked first.
  return /^[A-Za-z0-9+/]+={0,2}$/.test(value) && Buffer.from(value, 'base64').length === KEY_BYTES;
}

class SecretsEnvironment {
  /** Required everywhere: outside production the start makes a throwaway one before this runs (development-defaults). */
  @IsBase64Key()
  SECRETS_KEY: string;

  /** The key being rotated away from: still read, never written. Empty counts as unset. */
  @ValidateIf((_, value) => value !== undefined && value !== '') @IsBase64Key()
  SECRETS_KEY_PREVIOUS?: string;
}

/** An AES-256 key with the short id ciphertexts record, so a wrong key is named rather than failing authentication. */
export interface SecretsKey {
  id: string;
  key: Buffer;
}

export function secretsKey(base64: string): SecretsKey {
  const key = Buffer.from(base64.trim(), 'base64');
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 8), key };
}

export const secretsConfig = registerAs('secrets', () => {
  const environment = validateEnvironment(SecretsEnvironment, process.env);
  return {
    current: secretsKey(environment.SECRETS_KEY),
    previous: environment.SECRETS_KEY_PREVIOUS ? secretsKey(environment.SECRETS_KEY_PREVIOUS) : undefined,
  };
});
export type SecretsConfig = ReturnType<typeof secretsConfig>;
