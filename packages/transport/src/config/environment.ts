import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

/**
 * Validates the environment against one concern's class and stops with a message
 * that names every bad variable, so a misconfigured process never starts half-way.
 */
export function validateEnvironment<T extends object>(
  schema: new () => T,
  environment: Record<string, string | undefined>,
): T {
  const present = Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== undefined));
  const instance = plainToInstance(schema, present);
  const errors = validateSync(instance, { skipMissingProperties: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    const lines = errors.map((error) => `${error.property}: ${Object.values(error.constraints ?? {}).join('; ')}`);
    throw new Error(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return instance;
}

export const DURATION_PATTERN = /^\s*\d+(ms|s|m|h|d)\s*$/;
export const SCHEDULE_PATTERN = /^\s*\d+(ms|s|m|h|d)\s*(,\s*\d+(ms|s|m|h|d)\s*)*$/;
export const DURATION_MESSAGE = '$property must be a duration such as 500ms, 3s, 10m, 2h or 7d';
export const SCHEDULE_MESSAGE = '$property must be durations separated by commas, such as 3s,30s,60s';
