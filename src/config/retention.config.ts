import { DURATION_MESSAGE, DURATION_PATTERN, parseDuration, validateEnvironment } from '@backstop/transport';
import { registerAs } from '@nestjs/config';
import { IsOptional, Matches } from 'class-validator';

// A retention shorter than this is almost certainly a typo (`7m` for `7d`); it would also
// prune markers of messages that may still be in a retry delay queue.
const MINIMUM_RETENTION_MS = 3_600_000;

class RetentionEnvironment {
  @IsOptional() @Matches(DURATION_PATTERN, { message: DURATION_MESSAGE })
  PROCESSED_RETENTION = '7d';

  @IsOptional() @Matches(DURATION_PATTERN, { message: DURATION_MESSAGE })
  HISTORY_RETENTION = '30d';

  /** How often a worker runs a retention round: often enough that a round has little to do. */
  @IsOptional() @Matches(DURATION_PATTERN, { message: DURATION_MESSAGE })
  RETENTION_INTERVAL = '5m';
}

export const retentionConfig = registerAs('retention', () => {
  const environment = validateEnvironment(RetentionEnvironment, process.env);
  const processedMs = parseDuration(environment.PROCESSED_RETENTION);
  const historyMs = parseDuration(environment.HISTORY_RETENTION);
  const tooShort = Object.entries({ PROCESSED_RETENTION: processedMs, HISTORY_RETENTION: historyMs })
    .filter(([, milliseconds]) => milliseconds < MINIMUM_RETENTION_MS)
    .map(([name]) => `${name}: must be at least 1h`);
  if (tooShort.length > 0) throw new Error(`Invalid configuration:\n  ${tooShort.join('\n  ')}`);
  return { processedMs, historyMs, intervalMs: parseDuration(environment.RETENTION_INTERVAL) };
});
export type RetentionConfig = ReturnType<typeof retentionConfig>;
