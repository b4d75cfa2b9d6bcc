import { randomBytes } from 'node:crypto';

/**
 * docs/configuration.md: outside production the secrets may be left unset, so that `npm start` on a
 * machine with PostgreSQL and RabbitMQ just runs. Missing ones are made here, once per start,
 * and returned for printing; production keeps requiring them (validation names each one).
 */
/**
 * Read before the typed configuration exists (it decides what that configuration may leave
 * unset), so it cannot come from it; and it must not validate anything itself, so that the
 * configuration's own check still names every bad variable at once.
 */
export function outsideProduction(environment: NodeJS.ProcessEnv = process.env): boolean {
  return environment.NODE_ENV !== 'production';
}

export function fillDevelopmentSecrets(environment: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (!outsideProduction(environment)) return {};
  const made: Record<string, string> = {};
  const missing = (name: string) => environment[name] === undefined || environment[name] === '';
  if (missing('ADMIN_TOKEN')) made.ADMIN_TOKEN = randomBytes(24).toString('hex');
  if (missing('NOTIFY_SIGNING_SECRET')) made.NOTIFY_SIGNING_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
  if (missing('PAYMENT_CALLBACK_SECRET')) made.PAYMENT_CALLBACK_SECRET = randomBytes(24).toString('hex');
  // Merchants registered under a throwaway key cannot be read after a restart without it.
  if (missing('SECRETS_KEY')) made.SECRETS_KEY = randomBytes(32).toString('base64');
  Object.assign(environment, made);
  return made;
}

export function describeDevelopmentSecrets(made: Record<string, string>): string {
  const lines = Object.entries(made).map(([name, value]) => `  ${name}=${value}`);
  return [
    'WARNING: throwaway secrets made for this run only (NODE_ENV is not production). Set them (see .env.example) to keep them across restarts:',
    ...lines,
    '',
  ].join('\n');
}
