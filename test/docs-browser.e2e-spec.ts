import { Page } from 'playwright-core';
import { Browser, openBrowser } from './support/browser';
import { ADMIN_TOKEN, RunningApp, TestWorld } from './support/test-world';

/**
 * The Content-Security-Policy of each page the platform serves lets that page work: Swagger UI
 * at /docs renders and calls the API, the ops console signs in and shows health, and the
 * browser reports no violation on either. A real Chromium, like test/console.e2e-spec.ts.
 */
describe('pages under their Content-Security-Policy, in a browser', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let browser: Browser;
  let page: Page;
  const violations: string[] = [];

  beforeAll(async () => {
    world = await TestWorld.create('docs_browser');
    platform = await world.start();
    browser = await openBrowser();
    page = browser.page;
    // Both what the page can observe and what the browser logs: a refused inline style shows only in the log.
    await page.addInitScript({
      content: "document.addEventListener('securitypolicyviolation', (event) => console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`));",
    });
    page.on('console', (message) => {
      if (/Content Security Policy|CSP violation/i.test(message.text())) violations.push(message.text());
    });
    page.on('pageerror', (error) => violations.push(`page error: ${error.message}`));
  });
  afterEach(() => expect(violations.splice(0)).toEqual([]));
  afterAll(async () => {
    await browser?.close();
    await world?.destroy();
  });

  it('renders Swagger UI with every operation and runs a request from it', async () => {
    const answer = await page.goto(`${platform.url}/docs`);
    expect(answer?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('.opblock').first().waitFor();
    expect(await page.locator('.opblock').count()).toBeGreaterThan(20);
    const live = page.locator('.opblock', { has: page.locator('[data-path="/health/live"]') });
    await live.locator('.opblock-summary').click();
    await live.getByRole('button', { name: 'Try it out' }).click();
    await live.getByRole('button', { name: 'Execute' }).click();
    await live.locator('.live-responses-table .response-col_status').filter({ hasText: '200' }).first().waitFor();
  });

  it('lets the ops console sign in and show health under its own policy', async () => {
    const answer = await page.goto(`${platform.url}/admin`);
    expect(answer?.headers()['content-security-policy']).toContain("base-uri 'none'");
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.getByTestId('health-database').filter({ hasText: 'up' }).waitFor();
    await page.getByTestId('health-broker').filter({ hasText: 'up' }).waitFor();
  });
});
