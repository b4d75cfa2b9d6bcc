import { alertsConfig } from './alerts.config';
import { appConfig } from './app.config';
import { compensationConfig } from './compensation.config';
import { databaseConfig } from './database.config';
import { httpConfig } from './http.config';
import { messagingConfig } from './messaging.config';
import { notifyConfig } from './notify.config';
import { paymentConfig } from './payment.config';
import { retentionConfig } from './retention.config';
import { secretsConfig } from './secrets.config';

/** Every concern's config, validated together at start so one run names every bad variable. */
export const configurations = [appConfig, databaseConfig, messagingConfig, notifyConfig, paymentConfig, compensationConfig, retentionConfig, secretsConfig, httpConfig, alertsConfig];

export function validateAllConfigurations(): void {
  const problems: string[] = [];
  for (const load of configurations) {
    try {
      load();
    } catch (error) {
      problems.push((error as Error).message.replace(/^Invalid configuration:\n/, ''));
    }
  }
  if (problems.length > 0) throw new Error(`Invalid configuration:\n${problems.join('\n')}`);
}
