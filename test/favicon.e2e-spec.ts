import { TopologyReadiness } from '../src/messaging/topology-readiness';
import { http } from './support/http';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** The platform's icon: the console links it, and a browser's own ask for /favicon.ico is not a 404. */
describe('favicon', () => {
  let world: TestWorld;
  let platform: RunningApp;

  beforeAll(async () => {
    world = await TestWorld.create('favicon');
    platform = await world.start();
    // A platform closed while it still declares its queues fails the suite; let it settle first.
    await waitFor(() => platform.app.get(TopologyReadiness).ready, { what: 'the handler topology to be declared' });
  });
  afterAll(() => world.destroy());

  it('serves an SVG icon at /favicon.svg, kept by browsers for a day', async () => {
    const answer = await fetch(`${platform.url}/favicon.svg`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(answer.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(await answer.text()).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 32 32">[\s\S]*<\/svg>\n$/);
  });

  it('answers /favicon.ico with no content rather than 404', async () => {
    const answer = await fetch(`${platform.url}/favicon.ico`);
    expect({ status: answer.status, body: await answer.text() }).toEqual({ status: 204, body: '' });
    expect(answer.headers.get('cache-control')).toBe('public, max-age=86400');
  });

  it('is linked from the ops console', async () => {
    const page = await http(platform.url, 'GET', '/admin');
    expect(page.text).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml">');
  });
});
