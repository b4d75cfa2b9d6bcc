import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { Pool } from 'pg';
import { databaseConfig } from '../config/database.config';
import { dataSourceOptions } from './data-source-options';
import { Db } from './db';

/**
 * The database: `Db`, through which every repository runs its statements, and TypeORM,
 * which runs the migrations at start (a fresh database just works) and serves the ops
 * API's entity queries.
 */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [databaseConfig.KEY],
      useFactory: (config: ConfigType<typeof databaseConfig>) => ({
        ...dataSourceOptions(config),
        migrationsRun: true,
        retryAttempts: 3,
        retryDelay: 1_000,
      }),
    }),
  ],
  providers: [
    {
      provide: Db,
      // After TypeORM's DataSource, which runs the pending migrations first.
      inject: [databaseConfig.KEY, getDataSourceToken()],
      // Fail fast when the database is gone (G7: 503 at once), and keep enough connections
      // for handlers and the HTTP layer on a two-core machine.
      useFactory: (config: ConfigType<typeof databaseConfig>) =>
        new Db(new Pool({ connectionString: config.url, max: 20, connectionTimeoutMillis: 2_000 })),
    },
  ],
  exports: [Db],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(Db) private readonly db: Db) {}

  /** After every module's own shutdown work (publishes drained, deletes written). */
  async onApplicationShutdown(): Promise<void> {
    await this.db.end();
  }
}
