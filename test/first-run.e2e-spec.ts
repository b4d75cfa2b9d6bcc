import { Client } from 'pg';
import { http } from './support/http';
import { SpawnedPlatform } from './support/spawned-platform';
import { TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

const POSTGRES = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

/** SPEC §9, the first ten minutes: `npm start` with no configuration outside production just runs. */
describe('first run', () => {
  let world: TestWorld;
  let platform: SpawnedPlatform | undefined;
  let fresh: string;

  beforeAll(async () => {
    world = await TestWorld.create('first_run');
    fresh = `${world.name}_fresh`;
  });
  afterAll(async () => {
    platform?.stop();
    const admin = new Client({ connectionString: `${POSTGRES}/postgres` });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${fresh} WITH (FORCE)`);
    await admin.end();
    await world.destroy();
  });

  it('makes throwaway secrets, prints them once, creates its missing database and serves', async () => {
    platform = await SpawnedPlatform.start(
      world.environment({ DATABASE_URL: `${POSTGRES}/${fresh}`, ADMIN_TOKEN: '', NOTIFY_SIGNING_SECRET: '', PAYMENT_CALLBACK_SECRET: '', SECRETS_KEY: '' }),
    );
    await waitFor(async () => {
      if (platform!.child.exitCode !== null) throw new Error(`exited ${platform!.child.exitCode}: ${platform!.stderr}`);
      return (await http(platform!.url, 'GET', '/health/ready')).status === 200;
    }, { what: 'the platform to be ready on a database it made', timeoutMs: 30_000 });
    expect(platform.stderr).toContain('throwaway secrets');
    expect(platform.stderr).toContain(`created the database of DATABASE_URL (${fresh})`);
    const token = /ADMIN_TOKEN=(\S+)/.exec(platform.stderr)![1];
    expect(platform.stderr).toMatch(/NOTIFY_SIGNING_SECRET=whsec_[A-Za-z0-9+/]+=*/);
    expect(platform.stderr).toMatch(/SECRETS_KEY=[A-Za-z0-9+/]{43}=/);
    expect(platform.stderr.match(/ADMIN_TOKEN=/g)).toHaveLength(1);
    const summary = await fetch(`${platform.url}/admin/summary`, { headers: { authorization: `Bearer ${token}` } });
    expect(summary.status).toBe(200);
  });

  it('still requires the secrets in production, and says how to make each', async () => {
    const production = await SpawnedPlatform.start(
      world.environment({ NODE_ENV: 'production', PAYMENT_SANDBOX: 'true', SECRETS_KEY: '', NOTIFY_SIGNING_SECRET: 'not-a-whsec-secret' }),
    );
    await waitFor(() => production.child.exitCode !== null, { what: 'the process to stop' });
    expect(production.child.exitCode).not.toBe(0);
    expect(production.stderr).toContain('SECRETS_KEY must be 32 random bytes in base64 (44 characters); make one with: openssl rand -base64 32');
    expect(production.stderr).toContain('NOTIFY_SIGNING_SECRET must be a Standard Webhooks secret');
    expect(production.stderr).toContain('echo "whsec_$(openssl rand -base64 32)"');
  });
});
