import { DURATION_MESSAGE, DURATION_PATTERN, formatDuration, parseDuration, validateEnvironment } from '@backstop/transport';
import { registerAs } from '@nestjs/config';
import { IsOptional, IsString, Matches, ValidateIf } from 'class-validator';

/** A check more often than this would spend the database on nothing an on-call person could tell apart. */
const SHORTEST_CHECK_INTERVAL_MS = 100;

class AlertsEnvironment {
  /** Where ops alerts are POSTed (docs/operations.md#alerts). Unset or empty: no alerts. Read as a URL below. */
  @IsOptional() @IsString()
  OPS_WEBHOOK_URL?: string;

  /** Signs every alert (Standard Webhooks), as NOTIFY_SIGNING_SECRET signs notifications. Required with OPS_WEBHOOK_URL. */
  @ValidateIf((_, value) => value !== undefined && value !== '')
  @Matches(/^whsec_[A-Za-z0-9+/]{16,}={0,2}$/, {
    message: 'OPS_WEBHOOK_SECRET must be a Standard Webhooks secret: whsec_ followed by base64 (at least 12 bytes); make one with: echo "whsec_$(openssl rand -base64 32)"',
  })
  OPS_WEBHOOK_SECRET?: string;

  @IsOptional() @Matches(DURATION_PATTERN, { message: DURATION_MESSAGE })
  OPS_OUTBOX_STALLED_AFTER = '2m';

  @IsOptional() @Matches(/^\s*[1-9]\d{0,5}\s*$/, { message: 'OPS_SPIKE_COUNT must be a whole number from 1 to 999999' })
  OPS_SPIKE_COUNT = '10';

  @IsOptional() @Matches(DURATION_PATTERN, { message: DURATION_MESSAGE })
  OPS_SPIKE_WINDOW = '5m';

  @IsOptional() @Matches(DURATION_PATTERN, { message: DURATION_MESSAGE })
  OPS_CHECK_INTERVAL = '15s';
}

export const alertsConfig = registerAs('alerts', () => {
  const environment = validateEnvironment(AlertsEnvironment, process.env);
  const url = environment.OPS_WEBHOOK_URL || undefined;
  const secret = environment.OPS_WEBHOOK_SECRET || undefined;
  const problems: string[] = [];
  if (url && !isHttpUrl(url)) problems.push('OPS_WEBHOOK_URL: must be an absolute http:// or https:// URL without credentials (where ops alerts are POSTed)');
  else if (url && !secret) {
    problems.push('OPS_WEBHOOK_SECRET: required when OPS_WEBHOOK_URL is set (every alert is signed); make one with: echo "whsec_$(openssl rand -base64 32)"');
  }
  const durations = {
    OPS_OUTBOX_STALLED_AFTER: parseDuration(environment.OPS_OUTBOX_STALLED_AFTER),
    OPS_SPIKE_WINDOW: parseDuration(environment.OPS_SPIKE_WINDOW),
    OPS_CHECK_INTERVAL: parseDuration(environment.OPS_CHECK_INTERVAL),
  };
  for (const [name, ms] of Object.entries(durations)) if (ms === 0) problems.push(`${name}: must be longer than 0`);
  if (durations.OPS_CHECK_INTERVAL > 0 && durations.OPS_CHECK_INTERVAL < SHORTEST_CHECK_INTERVAL_MS) {
    problems.push(`OPS_CHECK_INTERVAL: must be at least ${SHORTEST_CHECK_INTERVAL_MS}ms`);
  }
  if (problems.length > 0) throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return {
    /** Unset: no alerts are raised or sent. */
    webhook: url && secret ? { url, signingKey: Buffer.from(secret.slice('whsec_'.length), 'base64') } : undefined,
    outboxStalledAfterMs: durations.OPS_OUTBOX_STALLED_AFTER,
    spikeCount: Number(environment.OPS_SPIKE_COUNT),
    spikeWindowMs: durations.OPS_SPIKE_WINDOW,
    checkIntervalMs: durations.OPS_CHECK_INTERVAL,
    /** As alerts quote them. */
    outboxStalledAfter: formatDuration(durations.OPS_OUTBOX_STALLED_AFTER),
    spikeWindow: formatDuration(durations.OPS_SPIKE_WINDOW),
  };
});
export type AlertsConfig = ReturnType<typeof alertsConfig>;

/** As the WHATWG parser the delivery uses reads it, so what is checked is what will be called. */
function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && !url.username && !url.password;
  } catch {
    return false;
  }
}
