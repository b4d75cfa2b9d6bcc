import { validateEnvironment } from '@backstop/transport';
import { registerAs } from '@nestjs/config';
import { IsOptional, Matches } from 'class-validator';

class DatabaseEnvironment {
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/backstop';
}

export const databaseConfig = registerAs('database', () => {
  const environment = validateEnvironment(DatabaseEnvironment, process.env);
  return { url: environment.DATABASE_URL };
});
export type DatabaseConfig = ReturnType<typeof databaseConfig>;
