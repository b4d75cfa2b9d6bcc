import { Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { Browser, openBrowser, screenshot } from './support/browser';
import { failedMessage } from './support/failed-messages';
import { http } from './support/http';
import { MerchantServer } from './support/merchant-server';
import { deliveriesOf, paidOrderTo } from './support/notify-helpers';
import { ADMIN_TOKEN, RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/** A second operator, whose actions the merchant page shows under its name. */
const CAROL_TOKEN = 'carol-ops-token-0123456789abcdef';
const SHOP = 'shop-console';

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
    platform = await world.start({ ADMIN_TOKEN: `${ADMIN_TOKEN},ops-carol:${CAROL_TOKEN}` });
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

  /** What the page holds anywhere a secret could linger: its markup and both storages. */
  const pageKeeps = (secret: string) =>
    page.evaluate<boolean>(`[document.documentElement.outerHTML, ...Object.values(sessionStorage), ...Object.values(localStorage)].some((kept) => kept.includes(${JSON.stringify(secret)}))`);
  const shownSecret = async () => {
    const secret = (await page.getByTestId('secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    return secret;
  };
  let currentSecret = '';

  it('registers a merchant, telling the API refusals, and shows its secret once: copyable, then gone from the page and storage', async () => {
    await page.goto(`${platform.url}/admin#merchants`);
    await page.getByRole('cell', { name: 'No merchant registered yet.' }).waitFor();
    await page.getByText('Register merchant', { exact: true }).click();
    await page.getByLabel('Id (the merchantId its orders carry)').fill(SHOP);
    await page.getByLabel('Name', { exact: true }).fill('   ');
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: '400: name must not be empty or blank' }).waitFor();

    await page.getByLabel('Name', { exact: true }).fill('Console Shop');
    await page.getByLabel('Notify origins, one per line (empty: any)').fill(`${merchant.url}\n`);
    await page.getByLabel('order.cancelled').uncheck();
    await page.getByLabel('Success rule').selectOption('body');
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    const panel = page.getByRole('region', { name: `Signing secret of ${SHOP}` });
    await panel.filter({ hasText: 'It will not be shown again.' }).waitFor();
    const secret = await shownSecret();
    expect((await http(platform.url, 'GET', `/admin/merchants/${SHOP}`, { admin: true })).body).toMatchObject({
      name: 'Console Shop',
      notifyOrigins: [merchant.url],
      events: ['order.paid', 'order.rejected'],
      successRule: 'body',
    });
    await page.locator(`tr[data-id="${SHOP}"]`).filter({ hasText: 'order.paid, order.rejected' }).waitFor();

    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: platform.url });
    await panel.getByRole('button', { name: 'Copy' }).click();
    await panel.getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(secret);
    expect(await pageKeeps(secret)).toBe(true);

    await panel.getByRole('button', { name: 'Close and forget the secret' }).click();
    await panel.waitFor({ state: 'detached' });
    expect(await pageKeeps(secret)).toBe(false);

    await page.getByLabel('Id (the merchantId its orders carry)').fill(SHOP);
    await page.getByLabel('Name', { exact: true }).fill('Console Shop again');
    await page.getByRole('button', { name: 'Register', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: `409: merchant "${SHOP}" is already registered` }).waitFor();
    expect(await page.getByTestId('secret').count()).toBe(0);
  });

  it('rotates the secret after a confirmation and shows the new one once; ends the overlap; lists who did what', async () => {
    await http(platform.url, 'PUT', `/admin/merchants/${SHOP}`, { body: { name: 'Console Shop Ltd' }, headers: { authorization: `Bearer ${CAROL_TOKEN}` } });
    await page.goto(`${platform.url}/admin#merchants`);
    await page.getByRole('button', { name: `Details of ${SHOP}` }).click();
    const detail = page.getByRole('region', { name: `Merchant ${SHOP}` });
    await detail.getByTestId('merchant-actions').filter({ hasText: 'merchant.update by ops-carol' }).waitFor();
    await detail.getByTestId('merchant-actions').filter({ hasText: 'merchant.create by admin' }).waitFor();

    await detail.getByLabel('Grace period (hours)').fill('2');
    await detail.getByRole('button', { name: 'Rotate secret…' }).click();
    const dialog = page.getByRole('dialog', { name: `Rotate the secret of ${SHOP}?` });
    await dialog.filter({ hasText: 'keeps signing beside it for 2 h' }).waitFor();
    await dialog.getByRole('button', { name: 'Rotate secret' }).click();
    const panel = page.getByRole('region', { name: `Signing secret of ${SHOP}` });
    await panel.filter({ hasText: 'The previous secret signs too until' }).waitFor();
    currentSecret = await shownSecret();
    await detail.getByTestId('previous-secret').waitFor();
    await detail.getByTestId('merchant-actions').filter({ hasText: 'merchant.rotate-secret by admin' }).waitFor();

    // Where the Clipboard API is missing (a page not served over HTTPS), Copy selects the secret instead.
    await page.evaluate(`Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true }) && true`);
    await panel.getByRole('button', { name: 'Copy' }).click();
    await panel.getByText('the secret is selected').waitFor();
    expect(await page.evaluate<string>('getSelection().toString()')).toBe(currentSecret);
    // Leaving the view forgets it as closing the panel does.
    await page.getByRole('link', { name: 'Summary' }).click();
    await page.getByTestId('health-database').waitFor();
    expect(await pageKeeps(currentSecret)).toBe(false);
    await page.getByRole('link', { name: 'Merchants' }).click();
    await page.getByRole('button', { name: `Details of ${SHOP}` }).click();
    expect(await panel.count()).toBe(0);

    // From the keyboard: the dialog opens with its action focused.
    await detail.getByRole('button', { name: 'End overlap now…' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: `End the overlap for ${SHOP} now?` }).waitFor();
    await page.keyboard.press('Enter');
    await detail.getByTestId('previous-secret').waitFor({ state: 'detached' });
    await page.locator(`tr[data-id="${SHOP}"]`).getByRole('cell', { name: 'none', exact: true }).waitFor();
    await detail.getByTestId('merchant-actions').filter({ hasText: 'merchant.expire-previous-secret by admin' }).waitFor();
    expect(await detail.getByRole('button', { name: 'End overlap now…' }).count()).toBe(0);
  });

  it('sends a test event to the merchant, signed with its new secret, and shows it delivered; a refused URL is told', async () => {
    await page.goto(`${platform.url}/admin#merchants`);
    await page.getByRole('button', { name: `Details of ${SHOP}` }).click();
    const detail = page.getByRole('region', { name: `Merchant ${SHOP}` });
    await detail.getByLabel("Test URL (empty: its latest order's notifyUrl)").fill('http://127.0.0.1:1/notify');
    await detail.getByRole('button', { name: 'Send test event' }).click();
    await detail.getByTestId('send-outcome').getByRole('alert').filter({ hasText: "is not on one of the merchant's notifyOrigins" }).waitFor();

    const before = merchant.received.length;
    await detail.getByLabel("Test URL (empty: its latest order's notifyUrl)").fill(`${merchant.url}/notify`);
    await detail.getByRole('button', { name: 'Send test event' }).click();
    const outcome = detail.getByTestId('send-outcome');
    await outcome.filter({ hasText: 'delivered' }).waitFor();
    expect(await outcome.textContent()).toMatch(/HTTP status200.*Duration\d+ ms.*Answersuccess/);
    const ping = merchant.received.slice(before).find((request) => request.body.type === 'ping')!;
    expect(ping.body).toMatchObject({ type: 'ping', data: { merchantId: SHOP } });
    const signed = { 'webhook-id': String(ping.headers['webhook-id']), 'webhook-timestamp': String(ping.headers['webhook-timestamp']), 'webhook-signature': String(ping.headers['webhook-signature']) };
    expect(new Webhook(currentSecret).verify(ping.rawBody, signed)).toMatchObject({ type: 'ping' });
    await detail.getByTestId('merchant-actions').filter({ hasText: 'merchant.test by admin' }).waitFor();
    await screenshot(page, 'console-merchants');
  });

  it('resends a delivered notification from the Deliveries view after a confirmation, under the same webhook-id', async () => {
    const order = await paidOrderTo(platform.url, 'CON-R', `${merchant.url}/notify`);
    const delivered = await waitFor(async () => (await deliveriesOf(platform.url, order.id)).find((row) => row.delivered === true), { what: `the delivery of order ${order.id}` });
    const sameId = () => merchant.received.filter((request) => request.headers['webhook-id'] === delivered.eventId);
    expect(sameId()).toHaveLength(1);

    await page.goto(`${platform.url}/admin#deliveries`);
    await page.getByLabel('Order id').fill(order.id);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('button', { name: `Resend notification ${delivered.eventId}` }).click();
    await page.getByRole('dialog', { name: `Resend the notification of order ${order.id}?` }).getByRole('button', { name: 'Resend' }).click();
    const outcome = page.getByTestId('send-outcome');
    await outcome.filter({ hasText: `Resend of ${delivered.eventId}` }).filter({ hasText: 'delivered' }).waitFor();
    expect(sameId()).toHaveLength(2);
    expect(sameId()[1].rawBody).toBe(sameId()[0].rawBody);
    await waitFor(async () => (await page.locator('tbody tr').count()) === 2, { what: 'the resend to be listed beside the first attempt' });
    expect((await deliveriesOf(platform.url, order.id)).map((row) => [row.eventId, row.delivered])).toEqual([[delivered.eventId, true], [delivered.eventId, true]]);
  });

  it('fits a 390 px wide phone screen without the page scrolling sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const view of ['summary', 'failed', 'deliveries', 'endpoints', 'merchants']) {
      await page.goto(`${platform.url}/admin#${view}`);
      await page.locator('main h2').waitFor();
      await page.locator('tbody tr').first().waitFor();
      if (view === 'merchants') {
        await page.getByText('Register merchant', { exact: true }).click();
        await page.getByRole('button', { name: `Details of ${SHOP}` }).click();
        await page.getByTestId('merchant-actions').waitFor();
      }
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      if (view === 'failed') await screenshot(page, 'console-phone');
    }
  });
});
