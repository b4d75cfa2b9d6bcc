import { Page } from 'playwright-core';
import { Browser, openBrowser, screenshot } from './support/browser';
import { http } from './support/http';
import { MerchantServer } from './support/merchant-server';
import { paidOrderTo } from './support/notify-helpers';
import { ADMIN_TOKEN, RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** Failure groups and search in the console, in a real Chromium against a real platform. */
describe('ops console: failure groups and search', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let browser: Browser;
  let page: Page;
  let merchant: MerchantServer;
  const orders: string[] = [];

  beforeAll(async () => {
    world = await TestWorld.create('console_groups');
    platform = await world.start();
    merchant = await MerchantServer.start();
    merchant.answerWith((_, response) => response.writeHead(500).end('down for maintenance'));
    for (const sku of ['GRP-A', 'GRP-B', 'GRP-C', 'GRP-D']) orders.push((await paidOrderTo(platform.url, sku, `${merchant.url}/notify`)).id);
    await waitFor(async () => (await http(platform.url, 'GET', '/admin/failed-messages?status=FAILED', { admin: true })).body.items?.length === 4, {
      what: 'four failed notifications',
      timeoutMs: 30_000,
    });
    browser = await openBrowser();
    page = browser.page;
    await page.goto(`${platform.url}/admin`);
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.getByTestId('health-database').filter({ hasText: 'up' }).waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await merchant?.stop();
    await world?.destroy();
  });

  const searchFor = async (text: string) => {
    await page.goto(`${platform.url}/admin#/failed?status=any`);
    await page.getByLabel('Search').fill(text);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
  };

  it('finds a failure by the last 8 characters of its order id, and by the text of its error', async () => {
    // The last: an order id's first characters are the time it was made (UUIDv7), shared by the orders of the same minute.
    await searchFor(orders[1].slice(-8));
    await waitFor(async () => (await page.locator('tbody tr[data-id]').count()) === 1, { what: 'one failure found by a part of its order id' });
    expect(await page.locator('tbody tr[data-id]').first().textContent()).toContain(orders[1].slice(-8));
    await searchFor('HTTP 500');
    await waitFor(async () => (await page.locator('tbody tr[data-id]').count()) === 4, { what: 'all four found by their error text' });
  });

  it('shows the four as one group, retries it as one, and its count drops as the re-runs succeed', async () => {
    await page.goto(`${platform.url}/admin#/groups`);
    const row = page.locator('tr[data-group]');
    await row.filter({ hasText: 'notify.merchant' }).waitFor();
    expect(await row.count()).toBe(1);
    expect(await row.locator('td.count').textContent()).toBe('4');
    expect(await row.textContent()).toContain(merchant.url);
    await screenshot(page, 'console-groups');

    merchant.answerWith((_, response) => response.end('success'));
    await row.getByRole('button', { name: 'Retry group' }).click();
    const dialog = page.getByRole('dialog', { name: 'Retry 4 messages?' });
    await dialog.getByRole('button', { name: 'Retry 4' }).click();
    await page.getByRole('status').filter({ hasText: 'Re-running 4 messages of the group' }).waitFor();
    // The list refreshes itself: the group goes once its messages are re-run and resolved.
    await page.getByText('Nothing has failed.').waitFor({ timeout: 30_000 });
    for (const orderId of orders) expect(merchant.forOrder(orderId).at(-1)?.body).toMatchObject({ orderId });
  });
});
