import { validateEnvironment } from '@backstop/transport';
import { registerAs } from '@nestjs/config';
import { IsIn, IsNotEmpty, IsOptional, IsString, Matches } from 'class-validator';

export const ROLES = ['all', 'api', 'worker'] as const;
export type Role = (typeof ROLES)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

class AppEnvironment {
  @IsOptional() @Matches(/^(6553[0-5]|655[0-2]\d|65[0-4]\d{2}|6[0-4]\d{3}|[1-5]?\d{1,4})$/, { message: 'PORT must be a port number (0 to 65535)' })
  PORT = '3000';

  @IsOptional() @IsIn(ROLES)
  ROLE: Role = 'all';

  @IsOptional() @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'log';

  /** JSON lines for a log pipeline; pretty for a person at a terminal. Default: json in production. */
  @IsOptional() @IsIn(LOG_FORMATS)
  LOG_FORMAT?: LogFormat;

  @IsOptional() @IsString()
  NODE_ENV?: string;

  /** `secret`, or `name:secret,name:secret` when several operators each have a token. */
  @IsString() @IsNotEmpty()
  @Matches(/^([A-Za-z0-9_.-]+:)?[^,:\s]{16,}(,([A-Za-z0-9_.-]+:)?[^,:\s]{16,})*$/, {
    message: 'ADMIN_TOKEN must be a token of at least 16 characters, or name:token pairs separated by commas; make one with: openssl rand -hex 24',
  })
  ADMIN_TOKEN: string;
}

export interface AdminToken {
  name: string;
  token: string;
}

export const appConfig = registerAs('app', () => {
  const environment = validateEnvironment(AppEnvironment, process.env);
  const adminTokens: AdminToken[] = environment.ADMIN_TOKEN.split(',').map((entry) => {
    const separator = entry.indexOf(':');
    return separator < 0
      ? { name: 'admin', token: entry }
      : { name: entry.slice(0, separator), token: entry.slice(separator + 1) };
  });
  return {
    port: Number(environment.PORT),
    role: environment.ROLE,
    logLevel: environment.LOG_LEVEL,
    logFormat: environment.LOG_FORMAT ?? (environment.NODE_ENV === 'production' ? 'json' : 'pretty'),
    production: environment.NODE_ENV === 'production',
    adminTokens,
    runsApi: environment.ROLE !== 'worker',
    runsWorker: environment.ROLE !== 'api',
  };
});
export type AppConfig = ReturnType<typeof appConfig>;
