import { randomBytes } from 'node:crypto';
import { MerchantChange, MerchantChanges } from '../src/merchants/merchant-changes';
import { MerchantDirectory } from '../src/merchants/merchant-directory';
import { TopologyReadiness } from '../src/messaging/topology-readiness';
import { http } from './support/http';
import { RunningApp, SECRETS_KEY, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** Generous for a busy machine, yet far below the cache's 60 s safety net: only the change notice explains a change seen this soon. */
const HEARD_WITHIN_MS = 5_000;

const keyOf = (secret: string) => Buffer.from(secret.slice('whsec_'.length), 'base64');
const hex = (keys: Buffer[] | null) => keys?.map((key) => key.toString('hex')) ?? null;

/**
 * MerchantDirectory, as orders and notify ask it: answers from memory, and a change made
 * through any process is seen by every other at once (LISTEN/NOTIFY), the previous secret's
 * grace is kept to the second, and a lost listening connection costs freshness nothing.
 */
describe('merchant directory: cached, and invalidated across processes', () => {
  let world: TestWorld;
  let one: RunningApp;
  let other: RunningApp;
  let directory: MerchantDirectory;
  /** The change notices the other process has heard, in the order they were committed. */
  const heard: MerchantChange[] = [];

  /** A platform closed while it still declares its queues fails the suite: each one settles first. */
  async function start(overrides: Record<string, string> = {}): Promise<RunningApp> {
    const platform = await world.start(overrides);
    await waitFor(() => platform.app.get(TopologyReadiness).ready, { what: 'the handler topology to be declared' });
    return platform;
  }

  beforeAll(async () => {
    world = await TestWorld.create('merchant_directory');
    one = await start();
    other = await start();
    directory = other.app.get(MerchantDirectory);
    other.app.get(MerchantChanges).subscribe((change) => heard.push(change));
  });
  afterAll(() => world.destroy());

  const admin = (method: string, path: string, body?: unknown) => http(one.url, method, path, { admin: true, body });
  async function register(id: string, terms: Record<string, unknown> = {}): Promise<string> {
    const answer = await admin('POST', '/admin/merchants', { id, name: id, ...terms });
    expect(answer.status).toBe(201);
    return answer.body.secret;
  }
  /**
   * Makes a change through the first process and waits until the other has heard of it: a notice
   * still on its way would drop what a test put in the cache after, and the test would prove nothing.
   */
  async function heardAfter<T>(id: string, change: () => Promise<T>): Promise<T> {
    const from = heard.length;
    const value = await change();
    // Notices arrive in commit order: once this one is heard, every earlier one is too.
    await waitFor(() => heard.slice(from).includes(id), { what: `the other process to hear of ${id}`, timeoutMs: HEARD_WITHIN_MS });
    return value;
  }
  const registerHeard = (id: string, terms: Record<string, unknown> = {}) => heardAfter(id, () => register(id, terms));
  /** Changes the row behind the platform's back: no notice is sent, so only a cache miss can see it. */
  const changeEventsQuietly = (id: string, events: string[]) => world.query(`UPDATE merchants SET events = $2 WHERE id = $1`, [id, events]);
  const listenerPids = () =>
    world.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'backstop merchant changes'`, [world.name]);

  it('answers from memory: a quiet change to the row is not seen, a change through the API is seen by the other process', async () => {
    await registerHeard('dir-a', { events: ['order.paid'] });
    expect(await directory.terms('dir-a')).toEqual({ id: 'dir-a', notifyOrigins: null, events: ['order.paid'], successRule: null });

    await changeEventsQuietly('dir-a', ['order.rejected']);
    expect((await directory.terms('dir-a'))?.events).toEqual(['order.paid']);

    const changed = await heardAfter('dir-a', () => admin('PUT', '/admin/merchants/dir-a', { notifyOrigins: ['https://a.example'] }));
    expect(changed.status).toBe(200);
    expect(await directory.terms('dir-a')).toEqual({ id: 'dir-a', notifyOrigins: ['https://a.example'], events: ['order.rejected'], successRule: null });
  });

  it('remembers that a merchant is not registered, until it is', async () => {
    expect(await directory.terms('dir-late')).toBeNull();
    expect(await directory.signingKeys('dir-late')).toBeNull();
    // A row slipped in behind its back is not seen: "not registered" is kept too, at no query per order.
    await world.query(`INSERT INTO merchants (id, name, secret_encrypted) VALUES ('dir-late', 'quiet', 'v1:00000000:AAAA')`);
    expect(await directory.terms('dir-late')).toBeNull();
    await world.query(`DELETE FROM merchants WHERE id = 'dir-late'`);
    const secret = await register('dir-late');
    const keys = await waitFor(async () => (await directory.signingKeys('dir-late')) ?? undefined, {
      what: 'the other process to see the registration',
      timeoutMs: HEARD_WITHIN_MS,
    });
    expect(hex(keys)).toEqual(hex([keyOf(secret)]));
  });

  it('signs with [new, previous] during the grace, [new] once it ends, and [new] at once after expire-previous', async () => {
    const first = keyOf(await registerHeard('dir-r'));
    expect(hex(await directory.signingKeys('dir-r'))).toEqual(hex([first]));

    const rotated = await admin('POST', '/admin/merchants/dir-r/rotate-secret', { graceSeconds: 2 });
    expect(rotated.status).toBe(200);
    const second = keyOf(rotated.body.secret);
    const expiresAt = Date.parse(rotated.body.previousSecretExpiresAt);
    await waitFor(async () => JSON.stringify(hex(await directory.signingKeys('dir-r'))) === JSON.stringify(hex([second, first])), {
      what: 'the other process to sign with the new and the previous secret',
      // Within the 2 s grace, or the previous key is rightly gone.
      timeoutMs: 1_500,
    });
    await waitFor(async () => JSON.stringify(hex(await directory.signingKeys('dir-r'))) === JSON.stringify(hex([second])), {
      what: 'the grace to end',
      timeoutMs: 5_000,
    });
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);

    const third = keyOf((await admin('POST', '/admin/merchants/dir-r/rotate-secret', { graceSeconds: 3600 })).body.secret);
    await waitFor(async () => (await directory.signingKeys('dir-r'))?.length === 2, { what: 'the second rotation', timeoutMs: HEARD_WITHIN_MS });
    expect(hex(await directory.signingKeys('dir-r'))).toEqual(hex([third, second]));
    expect((await admin('POST', '/admin/merchants/dir-r/expire-previous-secret')).status).toBe(200);
    await waitFor(async () => (await directory.signingKeys('dir-r'))?.length === 1, { what: 'expire-previous to reach the other process', timeoutMs: HEARD_WITHIN_MS });
    expect(hex(await directory.signingKeys('dir-r'))).toEqual(hex([third]));
    // The process that made the change knows at once, without waiting for its own notice.
    expect(hex(await one.app.get(MerchantDirectory).signingKeys('dir-r'))).toEqual(hex([third]));
  });

  it('forgets everything when its listening connection drops, reconnects, and hears changes again', async () => {
    await registerHeard('dir-drop', { events: ['order.paid'] });
    expect((await directory.terms('dir-drop'))?.events).toEqual(['order.paid']);
    await changeEventsQuietly('dir-drop', ['order.cancelled']);
    expect((await directory.terms('dir-drop'))?.events).toEqual(['order.paid']);
    const before = (await listenerPids()).map(({ pid }) => pid);
    expect(before).toHaveLength(2);

    await world.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY($1)`, [before]);
    // Whether it is still down (no cache: the database is asked) or back (cache cleared on reconnecting), the quiet change shows.
    await waitFor(async () => (await directory.terms('dir-drop'))?.events[0] === 'order.cancelled', { what: 'the cache to be dropped', timeoutMs: HEARD_WITHIN_MS });
    await waitFor(async () => {
      const now = (await listenerPids()).map(({ pid }) => pid);
      return now.length === 2 && now.every((pid) => !before.includes(pid));
    }, { what: 'both processes to listen again' });

    expect((await admin('PUT', '/admin/merchants/dir-drop', { successRule: '2xx' })).status).toBe(200);
    await waitFor(async () => (await directory.terms('dir-drop'))?.successRule === '2xx', { what: 'a change after reconnecting to be heard', timeoutMs: HEARD_WITHIN_MS });
    expect((await http(other.url, 'GET', '/health/live')).status).toBe(200);
  });

  it('re-encrypts every secret under a new SECRETS_KEY at start, reading the old ones with SECRETS_KEY_PREVIOUS', async () => {
    const secret = await register('dir-key');
    const newKey = randomBytes(32).toString('base64');
    const keyIds = async () => (await world.query<{ id: string }>(`SELECT DISTINCT split_part(secret_encrypted, ':', 2) AS id FROM merchants`)).map(({ id }) => id);
    const [oldId] = await keyIds();

    const rotated = await start({ SECRETS_KEY: newKey, SECRETS_KEY_PREVIOUS: SECRETS_KEY });
    try {
      const [newId] = await keyIds();
      expect(await keyIds()).toEqual([newId]);
      expect(newId).not.toBe(oldId);
      expect(hex(await rotated.app.get(MerchantDirectory).signingKeys('dir-key'))).toEqual(hex([keyOf(secret)]));
      // A process still on the old key alone names both keys rather than failing authentication.
      await expect(directory.signingKeys('dir-key')).rejects.toThrow(`encrypted under key ${newId}, SECRETS_KEY is ${oldId}`);
    } finally {
      await rotated.close();
    }

    const afterwards = await start({ SECRETS_KEY: newKey });
    try {
      expect(hex(await afterwards.app.get(MerchantDirectory).signingKeys('dir-key'))).toEqual(hex([keyOf(secret)]));
    } finally {
      await afterwards.close();
    }
  });
});
