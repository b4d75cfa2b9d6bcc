import { Page } from 'playwright-core';
import { Browser, openBrowser, screenshot } from './support/browser';
import { failedMessage } from './support/failed-messages';
import { http } from './support/http';
import { MerchantServer } from './support/merchant-server';
import { paidOrderTo } from './support/notify-helpers';
import { ADMIN_TOKEN, RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** The ops console of SPEC §12, driven in a real Chromium against a real platform. */
describe('ops console in a browser', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let browser: Browser;
  let page: Page;
  let merchant: MerchantServer;
  const orders: string[] = [];

  /** The notify.merchant failure of an order, once the last attempt has failed. */
  const failureOf = (orderId: string) =>
    waitFor(async () => {
      const answer = await http(platform.url, 'GET', `/admin/failed-messages?orderId=${orderId}`, { admin: true });
      return answer.body.items?.[0]?.status === 'FAILED' ? (answer.body.items[0] as { id: string; messageId: string }) : undefined;
    }, { what: `the failure of order ${orderId}` });

  const searchFailed = async (text: string, status = '') => {
    await page.goto(`${platform.url}/admin#failed`);
    await page.getByLabel('Search').fill(text);
    await page.getByLabel('Status').selectOption(status);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
  };

  beforeAll(async () => {
    world = await TestWorld.create('console');
    platform = await world.start();
    merchant = await MerchantServer.start();
    merchant.answerWith((_, response) => response.writeHead(500).end('down for maintenance'));
    for (const sku of ['CON-A', 'CON-B', 'CON-C', 'CON-D']) orders.push((await paidOrderTo(platform.url, sku, `${merchant.url}/notify`)).id);
    for (const orderId of orders) await failureOf(orderId);
    merchant.answerWith((_, response) => response.end('success'));
    browser = await openBrowser();
    page = browser.page;
  });
  afterAll(async () => {
    await browser?.close();
    await merchant?.stop();
    await world?.destroy();
  });

  it('signs in with the admin token from the keyboard, keeps it for the tab only, and shows health', async () => {
    await page.goto(`${platform.url}/admin`);
    await page.getByLabel('Admin token').fill('not-the-token-0123456789');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'not an admin token' }).waitFor();
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.getByTestId('health-database').filter({ hasText: 'up' }).waitFor();
    await page.getByTestId('health-broker').filter({ hasText: 'up' }).waitFor();
    expect(page.url()).not.toContain(ADMIN_TOKEN);
    expect(await page.evaluate<string[]>('Object.values(sessionStorage)')).toContain(ADMIN_TOKEN);
    expect(await page.evaluate<string>('document.cookie')).toBe('');
    await screenshot(page, 'console-summary');
  });

  it('finds a failed message by order id, shows its payload, retries it from its row and shows it RESOLVED', async () => {
    const failure = await failureOf(orders[0]);
    await searchFailed(orders[0]);
    const row = page.locator(`tr[data-id="${failure.id}"]`);
    // The search's own answer, not the list shown before it: only this order's message.
    await waitFor(async () => (await page.locator('tbody tr').count()) === 1 && (await row.count()) === 1, { what: 'the list to show only the searched order' });
    await row.getByRole('button', { name: /^Details/ }).click();
    const payload = page.getByLabel('Payload');
    await payload.filter({ hasText: orders[0] }).waitFor();
    expect(await payload.textContent()).toContain('"type": "order.paid"');
    await page.getByLabel('Headers').waitFor();
    await page.getByRole('cell', { name: /500/ }).first().waitFor();
    await screenshot(page, 'console-failed-message');
    await row.getByRole('button', { name: `Retry message ${failure.messageId}` }).click();
    await page.getByRole('status').filter({ hasText: `Re-running notify.merchant for message ${failure.messageId}` }).waitFor();
    await page.getByTestId('detail-status').filter({ hasText: 'RESOLVED' }).waitFor();
    await page.locator('.audit').filter({ hasText: 'retry by admin' }).waitFor();
    // A resolved row no longer shows its old error as the current one, and offers no retry.
    await row.filter({ hasText: 'resolved' }).waitFor();
    expect(await row.getByRole('button', { name: /^Retry/ }).count()).toBe(0);
    expect((await failedMessage(platform.url, failure.id)).status).toBe('RESOLVED');
  });

  it('discards a failed message with a reason, which the audit trail keeps', async () => {
    const failure = await failureOf(orders[1]);
    await searchFailed(orders[1], 'FAILED');
    await page.locator(`tr[data-id="${failure.id}"]`).getByRole('button', { name: /^Details/ }).click();
    await page.getByLabel('Reason to discard').fill('merchant closed its account');
    await page.getByRole('button', { name: 'Discard', exact: true }).click();
    await page.getByTestId('detail-status').filter({ hasText: 'DISCARDED' }).waitFor();
    await page.locator('.audit').filter({ hasText: 'discard by admin: merchant closed its account' }).waitFor();
    const row = await failedMessage(platform.url, failure.id);
    expect(row).toMatchObject({ status: 'DISCARDED', discardReason: 'merchant closed its account' });
  });

  it('retries every message that matches a filter only once it is confirmed, and says how many', async () => {
    const waiting = [await failureOf(orders[2]), await failureOf(orders[3])];
    await searchFailed('', 'FAILED');
    await page.getByLabel('Handler').fill('notify.merchant');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.locator('tbody tr[data-id]').nth(1).waitFor();

    await page.getByRole('button', { name: 'Retry all matching…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Retry all that match?' });
    await dialog.filter({ hasText: 'every FAILED message of handler notify.merchant' }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    for (const failure of waiting) expect((await failedMessage(platform.url, failure.id)).status).toBe('FAILED');

    await page.getByRole('button', { name: 'Retry all matching…' }).click();
    await dialog.getByRole('button', { name: 'Retry all' }).click();
    await page.getByRole('status').filter({ hasText: 'Re-running 2 messages' }).waitFor();
    await page.getByRole('cell', { name: 'No failed messages match.' }).waitFor();
    for (const failure of waiting) {
      await waitFor(async () => (await failedMessage(platform.url, failure.id)).status === 'RESOLVED', { what: `${failure.id} to be resolved` });
    }
  });

  it("shows an endpoint's state and enables a disabled one", async () => {
    const gone = await MerchantServer.start();
    gone.answerWith((_, response) => response.writeHead(410).end('gone'));
    try {
      await paidOrderTo(platform.url, 'CON-E', `${gone.url}/notify`);
      await page.goto(`${platform.url}/admin#endpoints`);
      const row = page.locator(`tr[data-origin="${gone.url}"]`);
      await row.getByTestId('endpoint-state').filter({ hasText: 'DISABLED' }).waitFor();
      await row.filter({ hasText: '410 Gone' }).waitFor();
      await page.locator(`tr[data-origin="${merchant.url}"]`).getByTestId('endpoint-state').filter({ hasText: 'ACTIVE' }).waitFor();
      await screenshot(page, 'console-endpoints');
      await row.getByRole('button', { name: `Enable ${gone.url}` }).click();
      await page.getByRole('status').filter({ hasText: `${gone.url} is ACTIVE again` }).waitFor();
      await row.getByTestId('endpoint-state').filter({ hasText: 'ACTIVE' }).waitFor();

      // Settings: only what changed is sent, and the API's answer is shown, a refusal included.
      await row.getByText('Settings', { exact: true }).click();
      await row.getByLabel('Success rule').selectOption('2xx');
      await row.getByLabel('Concurrency (1–100)').fill('8');
      await row.getByRole('button', { name: 'Save settings' }).click();
      await page.getByRole('status').filter({ hasText: `Saved successRule, concurrency for ${gone.url}` }).waitFor();
      const endpoints = (await http(platform.url, 'GET', '/admin/endpoints', { admin: true })).body.items as { origin: string; successRule: string; concurrency: number }[];
      expect(endpoints.find((endpoint) => endpoint.origin === gone.url)).toMatchObject({ successRule: '2xx', concurrency: 8 });
      // Out of range: the form refuses it before any request, and nothing changes.
      const concurrency = row.getByLabel('Concurrency (1–100)');
      await concurrency.fill('500');
      await row.getByRole('button', { name: 'Save settings' }).click();
      expect(await concurrency.evaluate((element: { checkValidity(): boolean }) => element.checkValidity())).toBe(false);
      const after = (await http(platform.url, 'GET', '/admin/endpoints', { admin: true })).body.items as { origin: string; concurrency: number }[];
      expect(after.find((endpoint) => endpoint.origin === gone.url)?.concurrency).toBe(8);
    } finally {
      await gone.stop();
    }
  });

  it('fits a 390 px wide phone screen without the page scrolling sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const view of ['summary', 'failed', 'deliveries', 'endpoints']) {
      await page.goto(`${platform.url}/admin#${view}`);
      await page.locator('main h2').waitFor();
      await page.locator('tbody tr').first().waitFor();
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      if (view === 'failed') await screenshot(page, 'console-phone');
    }
  });
});
