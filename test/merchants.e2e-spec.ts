import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Answer, http } from './support/http';
import { ADMIN_TOKEN, RunningApp, TestWorld } from './support/test-world';

/** A second operator: the audit trail records which one acted. */
const BOB_TOKEN = 'bob-ops-token-0123456789abcdef';
const OPERATORS = `${ADMIN_TOKEN},ops-bob:${BOB_TOKEN}`;
const POSTGRES = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

/** Every form a secret handed out could take in a dump: as given, its key bytes in base64, base64url and hex. */
function formsOf(secret: string): string[] {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return [secret, key.toString('base64'), key.toString('base64url'), key.toString('hex')];
}

/** A 400's messages as one text, as a person reads them. */
const messageOf = (answer: Answer) => [answer.body.message].flat().join('\n');

/** The merchant registry's ops API: secrets shown once, never stored readable; every change audited. */
describe('merchant registry (ops API)', () => {
  let world: TestWorld;
  let platform: RunningApp;
  const secretsHandedOut: string[] = [];

  beforeAll(async () => {
    world = await TestWorld.create('merchants');
    platform = await world.start({ ADMIN_TOKEN: OPERATORS });
  });
  afterAll(() => world.destroy());

  const admin = (method: string, path: string, body?: unknown, token = ADMIN_TOKEN) =>
    http(platform.url, method, path, { body, headers: { authorization: `Bearer ${token}` } });
  const merchantPath = (id: string) => `/admin/merchants/${encodeURIComponent(id)}`;

  async function register(id: string, terms: Record<string, unknown> = {}): Promise<Answer> {
    const answer = await admin('POST', '/admin/merchants', { id, name: `Shop ${id}`, ...terms });
    expect(answer.status).toBe(201);
    secretsHandedOut.push(answer.body.secret);
    return answer;
  }

  it('registers a merchant with a fresh whsec_ secret of 32 random bytes, shown only in that answer', async () => {
    const created = await register('shop-a');
    expect(created.body).toEqual({
      id: 'shop-a',
      name: 'Shop shop-a',
      notifyOrigins: null,
      events: ['order.paid', 'order.rejected', 'order.cancelled'],
      successRule: null,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      secretRotatedAt: null,
      previousSecretExpiresAt: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(Buffer.from(created.body.secret.slice(6), 'base64')).toHaveLength(32);
    expect((await register('shop-a2')).body.secret).not.toBe(created.body.secret);

    const read = await admin('GET', merchantPath('shop-a'));
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty('secret');
    for (const form of formsOf(created.body.secret)) expect(read.text).not.toContain(form);
  });

  it('normalises origins and keeps the events in catalogue order', async () => {
    const created = await register('shop-b', {
      notifyOrigins: ['HTTPS://Shop.Example:443/', 'http://shop.example:8080', 'https://shop.example'],
      events: ['order.cancelled', 'order.paid'],
      successRule: '2xx',
    });
    expect(created.body).toMatchObject({
      notifyOrigins: ['https://shop.example', 'http://shop.example:8080'],
      events: ['order.paid', 'order.cancelled'],
      successRule: '2xx',
    });
  });

  it('answers 409 for an id already registered, and leaves that merchant as it was', async () => {
    await register('shop-c', { events: ['order.paid'] });
    const again = await admin('POST', '/admin/merchants', { id: 'shop-c', name: 'Impostor' });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ statusCode: 409, code: 'MERCHANT_EXISTS' });
    expect(again.text).not.toContain('whsec_');
    expect((await admin('GET', merchantPath('shop-c'))).body).toMatchObject({ name: 'Shop shop-c', events: ['order.paid'] });
  });

  it.each([
    ['an unknown event type', { events: ['order.paid', 'order.shipped'] }, /events must each be one of .*unknown: "order\.shipped"/],
    ['no event type', { events: [] }, /events must name at least one/],
    ['an event type twice', { events: ['order.paid', 'order.paid'] }, /events must not name an event type twice/],
    ['an origin with a path', { notifyOrigins: ['https://shop.example/notify'] }, /"https:\/\/shop\.example\/notify" has a path.*https:\/\/shop\.example/],
    ['an origin with a query', { notifyOrigins: ['https://shop.example?x=1'] }, /has a path, query or fragment/],
    ['an origin that is not http(s)', { notifyOrigins: ['ftp://shop.example'] }, /"ftp:\/\/shop\.example" is not http/],
    ['an origin that is not a URL', { notifyOrigins: ['shop.example'] }, /"shop\.example" is not a URL/],
    ['an origin with credentials', { notifyOrigins: ['https://user:pw@shop.example'] }, /has credentials/],
    ['no origin (null is any)', { notifyOrigins: [] }, /notifyOrigins must name at least one origin; null allows any/],
    ['an empty name', { name: '' }, /name must not be empty or blank/],
    ['a blank name', { name: '   ' }, /name must not be empty or blank/],
    ['an unknown success rule', { successRule: 'any' }, /successRule must be body, 2xx or null/],
    ['an empty id', { id: '' }, /id must be longer than or equal to 1/],
    ['an id over 128 characters', { id: 'x'.repeat(129) }, /id must be shorter than or equal to 128/],
    ['an id with a control character', { id: 'shop\u0001' }, /id must not contain control characters/],
    ['a NUL in the name', { name: 'Shop\u0000' }, /name must not contain control characters/],
    ['an unpaired surrogate in the name', { name: 'Shop\uD800' }, /name must not contain control characters .* or unpaired surrogates/],
    ['a NUL in an origin', { notifyOrigins: ['https://shop.example\u0000'] }, /notifyOrigins must be http\(s\) origins/],
    ['a name over 200 characters', { name: 'x'.repeat(201) }, /name must be shorter than or equal to 200/],
    ['a secret of its own', { secret: 'whsec_AAAAAAAAAAAAAAAAAAAAAAAA' }, /property secret should not exist/],
  ])('refuses %s with 400 naming it, and registers nothing', async (_, fields, message) => {
    const id = `shop-bad-${Math.random().toString(36).slice(2)}`;
    const answer = await admin('POST', '/admin/merchants', { id, name: 'Shop', ...fields });
    expect(answer.status).toBe(400);
    expect(messageOf(answer)).toMatch(message);
    expect(await world.query(`SELECT id FROM merchants WHERE id = $1 OR id = $2`, [id, (fields as { id?: string }).id ?? id])).toEqual([]);
  });

  it('lists merchants by id, a page at a time, without secrets', async () => {
    const ids = ['list-3', 'list-1', 'list-2'];
    for (const id of ids) await register(id);
    const pages: string[][] = [];
    let cursor: string | null = null;
    let text = '';
    do {
      const query: string = `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await admin('GET', `/admin/merchants${query}`);
      expect(page.status).toBe(200);
      pages.push(page.body.items.map((item: { id: string }) => item.id));
      for (const item of page.body.items) expect(item).not.toHaveProperty('secret');
      text += page.text;
      cursor = page.body.nextCursor;
    } while (cursor);
    const listed = pages.flat();
    expect(listed).toEqual([...listed].sort());
    expect(listed).toEqual(expect.arrayContaining(ids));
    expect(pages.every((page) => page.length <= 2)).toBe(true);
    for (const secret of secretsHandedOut) for (const form of formsOf(secret)) expect(text).not.toContain(form);

    expect((await admin('GET', '/admin/merchants?cursor=not-ours')).status).toBe(400);
    expect((await admin('GET', '/admin/merchants?limit=0')).status).toBe(400);
  });

  it('answers 404 for a merchant that is not registered, and 401 without a token', async () => {
    for (const [method, path] of [
      ['GET', merchantPath('nobody')],
      ['PUT', merchantPath('nobody')],
      ['POST', `${merchantPath('nobody')}/rotate-secret`],
      ['POST', `${merchantPath('nobody')}/expire-previous-secret`],
    ]) {
      const answer = await admin(method, path, method === 'PUT' ? { name: 'x' } : undefined);
      expect({ method, path, status: answer.status, code: answer.body.code }).toEqual({ method, path, status: 404, code: 'MERCHANT_NOT_FOUND' });
    }
    expect((await http(platform.url, 'GET', '/admin/merchants')).status).toBe(401);
    expect((await http(platform.url, 'POST', '/admin/merchants', { body: { id: 'x', name: 'x' } })).status).toBe(401);
  });

  it('takes any id an order may carry, percent-encoded in the path', async () => {
    const id = 'shop/with spaces & ünïcode';
    await register(id);
    expect((await admin('GET', merchantPath(id))).body).toMatchObject({ id });
  });

  it('updates only the fields given; null resets origins and success rule; an audit entry says from what to what', async () => {
    await register('shop-u', { notifyOrigins: ['https://u.example'], successRule: 'body' });
    const events = await admin('PUT', merchantPath('shop-u'), { events: ['order.paid'] }, BOB_TOKEN);
    expect(events.status).toBe(200);
    expect(events.body).toMatchObject({ name: 'Shop shop-u', notifyOrigins: ['https://u.example'], events: ['order.paid'], successRule: 'body' });
    expect(events.body).not.toHaveProperty('secret');

    const reset = await admin('PUT', merchantPath('shop-u'), { notifyOrigins: null, successRule: null, name: 'Shop U' });
    expect(reset.body).toMatchObject({ name: 'Shop U', notifyOrigins: null, events: ['order.paid'], successRule: null });

    expect((await admin('PUT', merchantPath('shop-u'), { name: null })).status).toBe(400);
    expect((await admin('PUT', merchantPath('shop-u'), { events: null })).status).toBe(400);
    expect((await admin('PUT', merchantPath('shop-u'), { events: ['order.refunded'] })).status).toBe(400);
    expect((await admin('GET', merchantPath('shop-u'))).body).toMatchObject({ name: 'Shop U', events: ['order.paid'] });

    const { actions } = (await admin('GET', merchantPath('shop-u'))).body;
    expect(actions).toEqual([
      // requestId: the x-request-id of the request that did it (test/request-ids.e2e-spec.ts).
      { action: 'merchant.create', actor: 'admin', at: expect.any(String), detail: expect.objectContaining({ name: 'Shop shop-u', successRule: 'body' }), requestId: expect.any(String) },
      {
        action: 'merchant.update',
        actor: 'ops-bob',
        at: expect.any(String),
        detail: { events: { from: ['order.paid', 'order.rejected', 'order.cancelled'], to: ['order.paid'] } },
        requestId: expect.any(String),
      },
      {
        action: 'merchant.update',
        actor: 'admin',
        at: expect.any(String),
        detail: { name: { from: 'Shop shop-u', to: 'Shop U' }, notifyOrigins: { from: ['https://u.example'], to: null }, successRule: { from: 'body', to: null } },
        requestId: expect.any(String),
      },
    ]);
  });

  it('rotates a secret with a grace, ends the grace on demand, and records both without the secrets', async () => {
    const created = await register('shop-r');
    const before = Date.now();
    const rotated = await admin('POST', `${merchantPath('shop-r')}/rotate-secret`, { graceSeconds: 3600 }, BOB_TOKEN);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({ secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/), previousSecretExpiresAt: expect.any(String) });
    secretsHandedOut.push(rotated.body.secret);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    const expires = Date.parse(rotated.body.previousSecretExpiresAt);
    expect(expires).toBeGreaterThanOrEqual(before + 3_600_000 - 2_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3_600_000 + 2_000);

    const during = (await admin('GET', merchantPath('shop-r'))).body;
    expect(during).toMatchObject({ secretRotatedAt: expect.any(String), previousSecretExpiresAt: rotated.body.previousSecretExpiresAt });

    const byDefault = await admin('POST', `${merchantPath('shop-r')}/rotate-secret`);
    expect(byDefault.status).toBe(200);
    secretsHandedOut.push(byDefault.body.secret);
    expect(Date.parse(byDefault.body.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(86_400_000 - 60_000);

    const expired = await admin('POST', `${merchantPath('shop-r')}/expire-previous-secret`);
    expect(expired.status).toBe(200);
    expect(expired.body).toMatchObject({ id: 'shop-r', previousSecretExpiresAt: null });
    expect(expired.body).not.toHaveProperty('secret');

    const detail = await admin('GET', merchantPath('shop-r'));
    expect(detail.body.actions.map(({ action, actor }: { action: string; actor: string }) => `${actor} ${action}`)).toEqual([
      'admin merchant.create',
      'ops-bob merchant.rotate-secret',
      'admin merchant.rotate-secret',
      'admin merchant.expire-previous-secret',
    ]);
    expect(detail.body.actions[1].detail).toEqual({ graceSeconds: 3600, previousSecretExpiresAt: rotated.body.previousSecretExpiresAt });
    for (const secret of [created.body.secret, rotated.body.secret, byDefault.body.secret]) {
      for (const form of formsOf(secret)) expect(detail.text).not.toContain(form);
    }
  });

  it.each([
    [{ graceSeconds: -1 }, /graceSeconds must not be less than 0/],
    [{ graceSeconds: 30 * 86_400 + 1 }, /graceSeconds must not be greater than 2592000/],
    [{ graceSeconds: 1.5 }, /graceSeconds must be an integer/],
    [{ graceSeconds: '60' }, /graceSeconds must be an integer/],
  ])('refuses rotate-secret %j with 400, and rotates nothing', async (body, message) => {
    const id = `shop-g-${secretsHandedOut.length}`;
    await register(id);
    const answer = await admin('POST', `${merchantPath(id)}/rotate-secret`, body);
    expect(answer.status).toBe(400);
    expect(messageOf(answer)).toMatch(message);
    expect((await admin('GET', merchantPath(id))).body).toMatchObject({ secretRotatedAt: null, actions: [expect.objectContaining({ action: 'merchant.create' })] });
  });

  it('keeps no secret readable in a dump of the database', async () => {
    expect(secretsHandedOut.length).toBeGreaterThan(5);
    const { stdout } = await promisify(execFile)('pg_dump', ['--data-only', `${POSTGRES}/${world.name}`], { maxBuffer: 64 * 1024 * 1024 });
    expect(stdout).toContain('shop-r');
    const found = secretsHandedOut.flatMap((secret) => formsOf(secret).filter((form) => stdout.includes(form)));
    expect(found).toEqual([]);
    const stored = await world.query<{ secret_encrypted: string }>(`SELECT secret_encrypted FROM merchants`);
    for (const { secret_encrypted } of stored) expect(secret_encrypted).toMatch(/^v1:[0-9a-f]{8}:[A-Za-z0-9+/]+=*$/);
  });
});
