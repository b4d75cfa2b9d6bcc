import { expectError } from './support/contract-errors';
import { closeSideBySide } from './support/failed-messages';
import { http } from './support/http';
import { ADMIN_TOKEN, RunningApp, TestWorld } from './support/test-world';

/** `GET /metrics` takes `Authorization: Bearer $METRICS_TOKEN` once METRICS_TOKEN is set, and is open while it is not. */
describe('METRICS_TOKEN', () => {
  const METRICS_TOKEN = 'test-metrics-token-0123456789';
  let world: TestWorld;
  let guarded: RunningApp;
  let open: RunningApp;

  beforeAll(async () => {
    world = await TestWorld.create('metrics_token');
    guarded = await world.start({ METRICS_TOKEN });
    open = await world.start({ ROLE: 'api' });
  });
  afterAll(async () => {
    await closeSideBySide([guarded, open].filter(Boolean));
    await world.destroy();
  });

  const scrape = (platform: RunningApp, authorization?: string) =>
    http(platform.url, 'GET', '/metrics', { headers: authorization === undefined ? {} : { authorization } });

  it('answers the scrape to the metrics token', async () => {
    const answer = await scrape(guarded, `Bearer ${METRICS_TOKEN}`);
    expect(answer.status).toBe(200);
    expect(answer.text).toMatch(/^backstop_process_cpu_user_seconds_total \d/m);
  });

  it.each([
    ['no token', undefined],
    ['a wrong token', 'Bearer wrong-metrics-token-0123456789'],
    ['a prefix of the token', `Bearer ${METRICS_TOKEN.slice(0, -1)}`],
    ['the token and more', `Bearer ${METRICS_TOKEN}x`],
    ['the token with another scheme', `Basic ${METRICS_TOKEN}`],
    ['the admin token', `Bearer ${ADMIN_TOKEN}`],
    ['an empty bearer', 'Bearer '],
  ])('answers 401 to %s, naming what it needs, and shows no metric', async (_, authorization) => {
    const answer = await scrape(guarded, authorization);
    expectError(answer, 401, /METRICS_TOKEN/);
    expect(answer.text).not.toMatch(/backstop_/);
  });

  it('stays open without METRICS_TOKEN, as before it existed', async () => {
    const answer = await scrape(open);
    expect(answer.status).toBe(200);
    expect(answer.text).toMatch(/^backstop_process_cpu_user_seconds_total \d/m);
  });

  it('is in the OpenAPI document: open or the metrics bearer, and its 401', async () => {
    const document = (await http(open.url, 'GET', '/docs-json')).body;
    expect(document.components.securitySchemes.metrics).toMatchObject({ type: 'http', scheme: 'bearer' });
    const operation = document.paths['/metrics'].get;
    expect(operation.security).toEqual(expect.arrayContaining([{}, { metrics: [] }]));
    expect(operation.responses['401'].description).toEqual(expect.any(String));
    expect(operation.description).toMatch(/METRICS_TOKEN/);
  });
});
