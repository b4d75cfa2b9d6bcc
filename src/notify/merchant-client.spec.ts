import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import type { NotifyConfig } from '../config/notify.config';
import { MerchantClient, RefusedAddressError } from './merchant-client';

/** The address rule is for merchants' URLs; the platform's own receivers (OPS_WEBHOOK_URL) are the operator's. */
describe('MerchantClient and the address rule', () => {
  let server: Server;
  let url: string;
  const client = new MerchantClient({ allowPrivate: false, timeoutMs: 2_000 } as NotifyConfig);

  beforeAll(async () => {
    server = createServer((_, response) => response.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await client.onApplicationShutdown();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('refuses a merchant URL on a loopback address', async () => {
    await expect(client.post(url, {}, '{}')).rejects.toBeInstanceOf(RefusedAddressError);
  });

  it("posts to the platform's own receiver there", async () => {
    await expect(client.post(url, {}, '{}', { ownReceiver: true })).resolves.toMatchObject({ status: 200, body: 'ok' });
  });
});
