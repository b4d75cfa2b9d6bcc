import { Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { createApplication } from './bootstrap';
import { appConfig } from './config/app.config';

async function main(): Promise<void> {
  const app = await createApplication();
  const config = app.get<ConfigType<typeof appConfig>>(appConfig.KEY);
  if (config.runsApi) {
    await app.listen(config.port, '0.0.0.0');
    Logger.log(`backstop (${config.role}) listening on ${await app.getUrl()}`, 'Bootstrap');
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
