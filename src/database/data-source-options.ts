import { ProcessedMessage } from '@backstop/transport';
import { join } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { DatabaseConfig } from '../config/database.config';

// Compiled, migrations sit in dist/migrations; under ts-jest they are read from source.
const migrations = __filename.endsWith('.ts')
  ? join(__dirname, '..', '..', 'migrations', '*.ts')
  : join(__dirname, '..', 'migrations', '*.js');

export function dataSourceOptions(config: DatabaseConfig): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.url,
    // processed_messages is shared with internal services, so its entity lives in their package.
    entities: [join(__dirname, '..', '**', '*.entity.{ts,js}'), ProcessedMessage],
    migrations: [migrations],
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Fail fast when the database is gone (G7: 503 at once). Migrations and the ops
    // API use these; every repository statement goes through Db, with a pool of its own.
    extra: { max: 10, connectionTimeoutMillis: 2_000 },
  };
}
