import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { appConfig } from './config/app.config';
import { validateAllConfigurations } from './config/configuration';
import { databaseConfig } from './config/database.config';
import { describeDevelopmentSecrets, fillDevelopmentSecrets, outsideProduction } from './config/development-defaults';
import { ensureDatabase } from './database/ensure-database';

async function main(): Promise<void> {
  const made = fillDevelopmentSecrets();
  if (Object.keys(made).length > 0) process.stderr.write(describeDevelopmentSecrets(made));
  // Before the application's modules load: a bad setting stops the process in a moment, naming every one.
  validateAllConfigurations();
  if (outsideProduction()) {
    const { url } = databaseConfig();
    if (await ensureDatabase(url)) process.stderr.write(`created the database of DATABASE_URL (${new URL(url).pathname.slice(1)})\n`);
  }
  // Loaded only now: the whole application is most of a start's time.
  const { createApplication } = await import('./bootstrap');
  const app = await createApplication();
  const config = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  if (config.runsApi) {
    await app.listen(config.port, '0.0.0.0');
    const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
    Logger.log(`backstop (${config.role}) listening on ${url}: ops console ${url}/admin, API docs ${url}/docs`, 'Bootstrap');
  } else {
    await app.init();
    Logger.log('backstop worker running', 'Bootstrap');
  }
}

main().catch((error: Error) => {
  // Configuration errors name the variable: print them plainly, not as a stack trace.
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
