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
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: platform.url });
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
    await row.getByRole('link', { name: /^Details/ }).click();
    const payload = page.getByLabel('Payload', { exact: true });
    await payload.filter({ hasText: orders[0] }).waitFor();
    expect(await payload.textContent()).toContain('"type": "order.paid"');
    await page.getByLabel('Headers', { exact: true }).waitFor();
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
    await page.locator(`tr[data-id="${failure.id}"]`).getByRole('link', { name: /^Details/ }).click();
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

  /** An endpoint as GET /admin/endpoints gives it: its load and its limits. */
  type EndpointLoad = {
    id: string;
    origin: string;
    successRule: string;
    concurrency: number;
    adaptiveLimit: number;
    concurrencyCap?: number;
    inFlight: number;
    waiting: number;
    latencyP50Ms?: number;
    latencyP99Ms?: number;
  };
  const endpointAt = async (origin: string) =>
    ((await http(platform.url, 'GET', '/admin/endpoints', { admin: true })).body.items as EndpointLoad[]).find((endpoint) => endpoint.origin === origin);
  /** The limit as the console words it: what goes at once now, and whether a cap or the adaptive limit alone bounds it. */
  const limitText = (endpoint: EndpointLoad) =>
    endpoint.concurrencyCap === undefined ? `${endpoint.concurrency} (adaptive)` : `${endpoint.concurrency} of cap ${endpoint.concurrencyCap}`;
  /**
   * Waits until `read` shows what `expected` makes of the API's answer, both read again each
   * time: the page refreshes every 5 s, and an attempt between two reads moves the figures.
   */
  const showsFigures = async <T extends Record<string, string>>(
    origin: string,
    expected: (endpoint: EndpointLoad) => T,
    read: () => Promise<T>,
  ): Promise<{ endpoint: EndpointLoad; shown: T }> => {
    let last: unknown;
    try {
      return await waitFor(async () => {
        const endpoint = (await endpointAt(origin))!;
        const shown = await read();
        last = { expected: expected(endpoint), shown };
        return JSON.stringify(shown) === JSON.stringify(expected(endpoint)) && { endpoint, shown };
      }, { what: `the figures of ${origin}` });
    } catch (error) {
      throw new Error(`${(error as Error).message}; ${JSON.stringify(last)}`);
    }
  };
  const rowFigures = (origin: string) => {
    const row = page.locator(`tr[data-origin="${origin}"]`);
    const cell = async (label: string) => ((await row.locator(`td[data-label="${label}"]`).textContent()) ?? '').trim();
    return async () => ({ limit: await cell('Limit'), inFlight: await cell('In flight'), waiting: await cell('Waiting'), latency: await cell('Latency p50 / p99') });
  };

  it("shows an endpoint's state, limit, waiting line and answer times, and enables a disabled one", async () => {
    const gone = await MerchantServer.start();
    gone.answerWith((_, response) => response.writeHead(410).end('gone'));
    try {
      await paidOrderTo(platform.url, 'CON-E', `${gone.url}/notify`);
      await page.goto(`${platform.url}/admin#endpoints`);
      const row = page.locator(`tr[data-origin="${gone.url}"]`);
      await row.getByTestId('endpoint-state').filter({ hasText: 'DISABLED' }).waitFor();
      await row.filter({ hasText: '410 Gone' }).waitFor();
      await page.locator(`tr[data-origin="${merchant.url}"]`).getByTestId('endpoint-state').filter({ hasText: 'ACTIVE' }).waitFor();

      // The merchant's endpoint has had attempts (failed, then delivered): no cap, so the adaptive limit alone bounds it.
      const busy = await showsFigures(
        merchant.url,
        (endpoint) => ({
          limit: limitText(endpoint),
          inFlight: String(endpoint.inFlight),
          waiting: String(endpoint.waiting),
          latency: `${endpoint.latencyP50Ms} ms / ${endpoint.latencyP99Ms} ms`,
        }),
        rowFigures(merchant.url),
      );
      expect(busy.endpoint.latencyP50Ms).toEqual(expect.any(Number));
      expect(busy.endpoint.latencyP99Ms).toBeGreaterThanOrEqual(busy.endpoint.latencyP50Ms!);
      expect(busy.shown).toMatchObject({ limit: expect.stringMatching(/^\d+ \(adaptive\)$/), waiting: expect.stringMatching(/^\d+$/), latency: expect.stringMatching(/^\d+ ms \/ \d+ ms$/) });
      await screenshot(page, 'console-endpoints');

      await row.getByRole('button', { name: `Enable ${gone.url}` }).click();
      await page.getByRole('status').filter({ hasText: `${gone.url} is ACTIVE again` }).waitFor();
      await row.getByTestId('endpoint-state').filter({ hasText: 'ACTIVE' }).waitFor();

      // Settings: only what changed is sent, and the API's answer is shown, a refusal included.
      await row.getByText('Settings', { exact: true }).click();
      const cap = row.getByLabel('Concurrency cap (1–100, empty: none)');
      // No cap set: the field is empty, not the adaptive limit of the moment, which saving would freeze into a cap.
      expect(await cap.inputValue()).toBe('');
      // Its help, read out with it, says what the cap is to the adaptive limit.
      await row.locator(`[id="${await cap.getAttribute('aria-describedby')}"]`).filter({ hasText: 'The cap bounds that limit' }).waitFor();
      await row.getByLabel('Success rule').selectOption('2xx');
      await cap.fill('8');
      await row.getByRole('button', { name: 'Save settings' }).click();
      await page.getByRole('status').filter({ hasText: `Saved successRule, concurrency for ${gone.url}` }).waitFor();
      const changed = await endpointAt(gone.url);
      expect({ successRule: changed?.successRule, cap: changed?.concurrencyCap }).toEqual({ successRule: '2xx', cap: 8 });
      await showsFigures(gone.url, (endpoint) => ({ limit: limitText(endpoint) }), async () => ({ limit: (await rowFigures(gone.url)()).limit }));
      expect(await row.locator('td[data-label="Limit"]').textContent()).toMatch(/^\d+ of cap 8$/);
      // Out of range: the form refuses it before any request, and nothing changes.
      await cap.fill('500');
      await row.getByRole('button', { name: 'Save settings' }).click();
      expect(await cap.evaluate((element: { checkValidity(): boolean }) => element.checkValidity())).toBe(false);
      expect((await endpointAt(gone.url))?.concurrencyCap).toBe(8);

      // A new form starts from the cap (8), not from how many go at once now; emptied, it removes the cap.
      await page.reload();
      await row.getByText('Settings', { exact: true }).click();
      expect(await cap.inputValue()).toBe('8');
      await cap.fill('');
      await row.getByRole('button', { name: 'Save settings' }).click();
      await page.getByRole('status').filter({ hasText: `Saved concurrency for ${gone.url}` }).waitFor();
      expect((await endpointAt(gone.url))?.concurrencyCap).toBeUndefined();
      await showsFigures(gone.url, (endpoint) => ({ limit: limitText(endpoint) }), async () => ({ limit: (await rowFigures(gone.url)()).limit }));

      // The endpoint's own page tells the same, with the adaptive limit to its tenth.
      await page.goto(`${platform.url}/admin#/endpoints/${busy.endpoint.id}`);
      const detail = page.getByRole('region', { name: `Endpoint ${merchant.url}` });
      const fact = async (id: string) => ((await detail.getByTestId(id).textContent()) ?? '').trim();
      await showsFigures(
        merchant.url,
        (endpoint) => ({
          limit: `${limitText(endpoint)} at once; the adaptive limit is ${endpoint.adaptiveLimit}`,
          load: `${endpoint.inFlight} now, ${endpoint.waiting} waiting for a slot`,
          latency: `${endpoint.latencyP50Ms} ms / ${endpoint.latencyP99Ms} ms (last 100 attempts)`,
        }),
        async () => ({ limit: await fact('endpoint-limit'), load: await fact('endpoint-load'), latency: await fact('endpoint-latency') }),
      );
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
    await page.getByRole('link', { name: `Details of ${SHOP}` }).click();
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
    await page.getByRole('link', { name: `Details of ${SHOP}` }).click();
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
    await page.getByRole('link', { name: `Details of ${SHOP}` }).click();
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
    await page.getByLabel('Order id', { exact: true }).fill(order.id);
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

  it('opens a failed message from its own URL with its filter, after a reload too, and walks back and forward', async () => {
    const failure = await waitFor(async () => {
      const answer = await http(platform.url, 'GET', `/admin/failed-messages?orderId=${orders[0]}`, { admin: true });
      return answer.body.items?.[0] as { id: string; messageId: string } | undefined;
    }, { what: `the failure of order ${orders[0]}` });
    const detail = page.getByRole('region', { name: `Message ${failure.messageId}` });
    const showsTheLink = async () => {
      await detail.getByTestId('detail-status').filter({ hasText: 'RESOLVED' }).waitFor();
      expect(await page.getByLabel('Search').inputValue()).toBe(orders[0]);
      expect(await page.getByLabel('Status').inputValue()).toBe('');
      await page.locator(`tr[data-id="${failure.id}"][aria-current="true"]`).waitFor();
    };
    await page.goto(`${platform.url}/admin#/failed/${failure.id}?q=${orders[0]}&status=any`);
    await showsTheLink();
    await page.reload();
    await showsTheLink();

    // A search is a step of its own: its URL names the filter, and Back returns to the message.
    await page.getByLabel('Status').selectOption('FAILED');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await waitFor(() => page.url().endsWith(`#/failed?q=${orders[0]}&status=FAILED`), { what: 'the URL to name the new filter' });
    await page.getByRole('cell', { name: 'No failed messages match.' }).waitFor();
    await page.getByRole('link', { name: 'Deliveries', exact: true }).click();
    await page.locator('#deliveries-title').waitFor();
    await page.goBack();
    await page.getByRole('cell', { name: 'No failed messages match.' }).waitFor();
    expect(await page.getByLabel('Status').inputValue()).toBe('FAILED');
    await page.goBack();
    await showsTheLink();
    await page.goForward();
    await page.getByRole('cell', { name: 'No failed messages match.' }).waitFor();
    expect(await detail.count()).toBe(0);
    await page.goForward();
    await page.locator('#deliveries-title').waitFor();

    // Closing the details drops the id from the URL and keeps the filter.
    await page.goto(`${platform.url}/admin#/failed/${failure.id}?q=${orders[0]}&status=any`);
    await detail.getByRole('button', { name: 'Close details' }).click();
    await waitFor(() => page.url().endsWith(`#/failed?q=${orders[0]}&status=any`), { what: 'the URL without the message' });
  });

  it('copies ids, the payload and a curl command, never the token', async () => {
    const failure = (await http(platform.url, 'GET', `/admin/failed-messages?orderId=${orders[0]}`, { admin: true })).body.items[0] as { id: string };
    await page.goto(`${platform.url}/admin#/failed/${failure.id}?q=${orders[0]}&status=any`);
    const detail = page.locator('section.detail');
    const clipboard = () => page.evaluate<string>('navigator.clipboard.readText()');

    await detail.getByRole('button', { name: `Copy order id ${orders[0]}` }).click();
    expect(await clipboard()).toBe(orders[0]);
    await detail.getByRole('button', { name: 'Copy the payload' }).click();
    expect(JSON.parse(await clipboard())).toMatchObject({ type: 'order.paid', data: { orderId: orders[0] } });
    await detail.getByRole('button', { name: 'Copy a curl command that gets this message' }).click();
    expect(await clipboard()).toBe(`curl -H "Authorization: Bearer $ADMIN_TOKEN" '${platform.url}/admin/failed-messages/${failure.id}'`);
    // The list's ids too, in their cells.
    await page.locator(`tr[data-id="${failure.id}"]`).getByRole('button', { name: `Copy order id ${orders[0]}` }).click();
    expect(await clipboard()).toBe(orders[0]);
    expect(await page.evaluate<string>('document.documentElement.outerHTML')).not.toContain(ADMIN_TOKEN);
  });

  it("shows a paid order's whole story on its page, reached from its id in the deliveries: placed, paid, a failed attempt, then delivered", async () => {
    let answered = 0;
    merchant.answerWith((_, response) => (answered++ === 0 ? response.writeHead(500).end('down once') : response.end('success')));
    try {
      const order = await paidOrderTo(platform.url, 'CON-O', `${merchant.url}/notify`);
      await waitFor(async () => (await deliveriesOf(platform.url, order.id)).some((row) => row.delivered === true), { what: `the notification of ${order.id} delivered` });

      await page.goto(`${platform.url}/admin#/deliveries?orderId=${order.id}`);
      await page.locator('tbody tr').nth(1).waitFor();
      await page.locator('tbody tr').first().getByRole('link', { name: order.id }).click();
      await waitFor(() => page.url().endsWith(`#/orders/${order.id}`), { what: 'the order page URL' });
      const timeline = page.getByRole('list', { name: 'Timeline' });
      const steps = [
        'Order placed for merchant merchant-1: 1 × CON-O, total 5.00 CNY',
        'order.created written with the order',
        'stock.reserve reserved 1 × CON-O',
        'Order PAID',
        `Paid: trade no T-${order.id.slice(0, 8)}, 5.00 CNY`,
        'order.paid written with the change',
        'notify.merchant took order.paid: notification DELIVERED after 2 attempts',
        `Attempt 1 of order.paid to ${merchant.url}: failed: HTTP 500`,
        `Attempt 2 of order.paid to ${merchant.url}: delivered (HTTP 200`,
      ];
      const shown = async () => {
        await page.getByTestId('order-status').filter({ hasText: 'PAID' }).waitFor();
        for (const step of steps) await timeline.locator('li').filter({ hasText: step }).first().waitFor();
      };
      await shown();
      // The failed attempt's answer, with the link to its endpoint.
      const failed = timeline.locator('li').filter({ hasText: 'Attempt 1 of order.paid' });
      await failed.getByText('detail', { exact: true }).click();
      expect(await failed.locator('pre').textContent()).toContain('"responseSnippet": "down once"');
      expect(await failed.getByRole('link', { name: 'more' }).getAttribute('href')).toMatch(/^#\/endpoints\/[0-9a-f-]{36}$/);
      await screenshot(page, 'console-order');
      await page.reload();
      await shown();
      // Where an order id is shown, it leads here: the failed messages list too.
      await page.goto(`${platform.url}/admin#/failed?q=${orders[1]}&status=any`);
      expect(await page.locator('tbody').getByRole('link', { name: orders[1] }).getAttribute('href')).toBe(`#/orders/${orders[1]}`);
      // An unknown order is said on its page.
      await page.goto(`${platform.url}/admin#/orders/00000000-0000-4000-8000-000000000000`);
      await page.getByRole('alert').filter({ hasText: '404: order 00000000-0000-4000-8000-000000000000 does not exist' }).waitFor();
    } finally {
      merchant.answerWith((_, response) => response.end('success'));
    }
  });

  it("goes from an endpoint to its deliveries, and finds them by the origin typed in", async () => {
    await page.goto(`${platform.url}/admin#/endpoints`);
    await page.locator(`tr[data-origin="${merchant.url}"]`).getByRole('link', { name: `Deliveries to ${merchant.url}` }).click();
    await waitFor(() => page.url().endsWith(`#/deliveries?endpoint=${encodeURIComponent(merchant.url)}`), { what: 'the deliveries URL' });
    const endpointField = page.getByLabel('Endpoint (origin or id)');
    expect(await endpointField.inputValue()).toBe(merchant.url);
    const urls = async () => {
      await page.locator('tbody tr[data-id]').first().waitFor();
      return page.locator('tbody td.url').allTextContents();
    };
    const listed = await urls();
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((url) => url.startsWith(`${merchant.url}/`))).toBe(true);

    // Typed in by hand, as the Endpoints page writes it: no 400.
    await page.goto(`${platform.url}/admin#/deliveries`);
    await waitFor(async () => (await urls()).some((url) => !url.startsWith(`${merchant.url}/`)), { what: 'every delivery listed' });
    await endpointField.fill(merchant.url);
    await page.getByRole('button', { name: 'Show' }).click();
    await waitFor(() => page.url().includes(`endpoint=${encodeURIComponent(merchant.url)}`), { what: 'the URL to name the endpoint' });
    // The unfiltered list shows the disabled endpoint's attempt too; the filtered one, the merchant's only.
    await waitFor(async () => (await urls()).every((url) => url.startsWith(`${merchant.url}/`)), { what: "the list of the merchant's deliveries" });
    expect(await page.getByRole('status').textContent()).toBe('');
  });

  it("lines up every row's cells, the actions' too", async () => {
    await searchFailed('', '');
    await page.locator('tbody tr[data-id]').nth(3).waitFor();
    // Each cell of a row spans the row: a cell that is not one (a flex <td>) ends where its content does.
    const misaligned = await page.evaluate<string[]>(`[...document.querySelectorAll('tbody tr')].flatMap((row) => {
      const cells = [...row.children].map((cell) => cell.getBoundingClientRect());
      return cells.some((cell) => Math.abs(cell.top - cells[0].top) > 0.5 || Math.abs(cell.bottom - cells[0].bottom) > 0.5) ? [row.getAttribute('data-id')] : [];
    })`);
    expect(misaligned).toEqual([]);
  });

  it('clears a notice when the view changes', async () => {
    // The hash of the first console (#endpoints) still opens its view.
    await page.goto(`${platform.url}/admin#endpoints`);
    const row = page.locator(`tr[data-origin="${merchant.url}"]`);
    await row.getByText('Settings', { exact: true }).click();
    await row.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').filter({ hasText: `Nothing changed for ${merchant.url}.` }).waitFor();
    await page.getByRole('link', { name: 'Summary' }).click();
    await page.getByTestId('health-database').waitFor();
    expect(await page.getByRole('status').textContent()).toBe('');
  });

  it('fits a 390 px wide phone screen: lists are cards, nothing scrolls sideways, ids stay on one line', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const failure = (await http(platform.url, 'GET', `/admin/failed-messages?orderId=${orders[1]}`, { admin: true })).body.items[0] as { id: string };
    const endpoints = (await http(platform.url, 'GET', '/admin/endpoints', { admin: true })).body.items as { id: string; origin: string }[];
    const endpoint = endpoints.find((row) => row.origin === merchant.url)!;
    const pages: [string, string?][] = [
      ['summary'],
      ['failed?status=any', orders[1]],
      [`failed/${failure.id}?status=any`, orders[1]],
      [`deliveries?orderId=${orders[1]}`, orders[1]],
      ['endpoints'],
      [`endpoints/${endpoint.id}`],
      ['merchants'],
      [`merchants/${SHOP}`],
      [`orders/${orders[1]}`],
    ];
    for (const [hash, orderId] of pages) {
      await page.goto(`${platform.url}/admin#/${hash}`);
      await page.locator('main h2').waitFor();
      await page.locator('tbody tr, ol.timeline li').first().waitFor();
      if (hash === 'merchants') await page.getByText('Register merchant', { exact: true }).click();
      const widths = await page.evaluate<{ fits: boolean; scrolling: string[] }>(`({
        fits: document.documentElement.scrollWidth <= window.innerWidth,
        // Anything that scrolls sideways on its own: a table in a scrolling box, a long line in a block.
        scrolling: [...document.querySelectorAll('main *')]
          .filter((element) => ['auto', 'scroll'].includes(getComputedStyle(element).overflowX) && element.scrollWidth > element.clientWidth + 1)
          .map((element) => element.tagName + '.' + element.className),
      })`);
      expect({ hash, ...widths }).toEqual({ hash, fits: true, scrolling: [] });
      if (await page.locator('.table-wrap tbody tr').count()) {
        const display = await page.locator('.table-wrap tbody tr').first().evaluate((row) => (globalThis as unknown as { getComputedStyle(element: unknown): { display: string } }).getComputedStyle(row).display);
        expect({ hash, display }).toEqual({ hash, display: 'block' });
      }
      if (orderId) {
        // One line, cut, with its copy button: not a column of eight lines.
        const id = page.locator('tbody, section.detail').getByText(orderId, { exact: true }).first();
        const box = (await id.boundingBox())!;
        expect({ hash, height: box.height < 24 }).toEqual({ hash, height: true });
      }
      if (hash.startsWith('failed?')) await screenshot(page, 'console-phone');
      if (hash.startsWith('orders/')) await screenshot(page, 'console-order-phone');
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});

/** An endpoint whose circuit is open: the console says when the cooldown ends and offers only what applies. */
describe('an open circuit in the console', () => {
  let world: TestWorld;
  let platform: RunningApp;
  let browser: Browser;
  let page: Page;
  let merchant: MerchantServer;

  beforeAll(async () => {
    world = await TestWorld.create('console_circuit');
    // Two failed attempts open it, and it stays open for the whole test.
    platform = await world.start({ NOTIFY_CIRCUIT_MIN_REQUESTS: '2', NOTIFY_CIRCUIT_FAILURE_RATE: '0.5', NOTIFY_CIRCUIT_COOLDOWN: '10m' });
    merchant = await MerchantServer.start();
    merchant.answerWith((_, response) => response.writeHead(503).end('overloaded'));
    browser = await openBrowser();
    page = browser.page;
  });
  afterAll(async () => {
    await browser?.close();
    await merchant?.stop();
    await world?.destroy();
  });

  it('shows when the cooldown ends and the probe goes, and offers neither Enable nor Recover', async () => {
    await paidOrderTo(platform.url, 'CIR-A', `${merchant.url}/notify`);
    const endpoint = await waitFor(async () => {
      const items = (await http(platform.url, 'GET', '/admin/endpoints', { admin: true })).body.items as { id: string; origin: string; state: string; openedAt?: string; cooldownEndsAt?: string }[];
      return items.find((row) => row.origin === merchant.url && row.state === 'OPEN');
    }, { what: 'the circuit to open' });
    expect(Date.parse(endpoint.cooldownEndsAt!) - Date.parse(endpoint.openedAt!)).toBe(600_000);

    await page.goto(`${platform.url}/admin`);
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.getByTestId('health-database').waitFor();
    await page.goto(`${platform.url}/admin#/endpoints`);
    const row = page.locator(`tr[data-origin="${merchant.url}"]`);
    await row.getByTestId('endpoint-state').filter({ hasText: 'OPEN' }).waitFor();
    const times = row.getByTestId('circuit-times');
    await times.filter({ hasText: 'Cooldown ends' }).filter({ hasText: 'the first attempt from then on is the probe' }).waitFor();
    expect(await times.locator('time').first().getAttribute('datetime')).toBe(endpoint.cooldownEndsAt);
    expect(await row.getByRole('button', { name: /^Enable/ }).count()).toBe(0);
    expect(await row.getByRole('button', { name: 'Recover' }).count()).toBe(0);
    await row.getByText('Closes by itself once a probe gets through').waitFor();
    await row.getByText('Settings', { exact: true }).waitFor();

    // Its own page says the same, from its own URL.
    await page.goto(`${platform.url}/admin#/endpoints/${endpoint.id}`);
    const detail = page.getByRole('region', { name: `Endpoint ${merchant.url}` });
    await detail.getByTestId('circuit-times').filter({ hasText: 'Cooldown ends' }).waitFor();
    expect(await detail.getByRole('button', { name: /^Enable/ }).count()).toBe(0);
    await screenshot(page, 'console-endpoint-open');
  });
});
