import { randomUUID } from 'node:crypto';
import { http } from './http';
import { waitFor } from './wait-for';

/**
 * An order as only the database knows it, as if another process had placed it: its event
 * never published, nothing of it remembered by the platform under test. One unit of `sku`
 * at 100 a unit unless told otherwise; answers its id.
 */
export async function orderOnlyInDatabase(
  world: { query(text: string, values?: unknown[]): Promise<unknown> },
  { sku, quantity = 1, status = 'PENDING', notifyUrl = 'https://merchant.example/notify' }: { sku: string; quantity?: number; status?: string; notifyUrl?: string },
): Promise<string> {
  const id = randomUUID();
  await world.query(
    `INSERT INTO orders (id, merchant_id, status, total_amount, currency, notify_url, created_at, updated_at)
     VALUES ($1, 'm-1', $2, $3, 'CNY', $4, now(), now())`,
    [id, status, quantity * 100, notifyUrl],
  );
  await world.query(`INSERT INTO order_items (order_id, sku, quantity, unit_price) VALUES ($1, $2, $3, 100)`, [id, sku, quantity]);
  return id;
}

export async function setStock(base: string, sku: string, available: number, unitPrice = 1000): Promise<void> {
  const answer = await http(base, 'PUT', `/admin/stock/${sku}`, { body: { available, unitPrice }, admin: true });
  if (answer.status !== 200) throw new Error(`PUT /admin/stock/${sku}: ${answer.status} ${answer.text}`);
}

export async function placeOrder(
  base: string,
  items: { sku: string; quantity: number }[],
  notifyUrl = 'https://merchant.example/notify',
  extra: Record<string, unknown> = {},
) {
  const answer = await http(base, 'POST', '/orders', { body: { merchantId: 'merchant-1', items, notifyUrl, ...extra } });
  if (answer.status !== 201) throw new Error(`POST /orders: ${answer.status} ${answer.text}`);
  return answer.body as { id: string; totalAmount: number; status: string };
}

export async function orderReaches(base: string, id: string, statuses: string[], timeoutMs = 15_000) {
  return waitFor(
    async () => {
      const answer = await http(base, 'GET', `/orders/${id}`);
      return statuses.includes(answer.body.status) ? answer.body : undefined;
    },
    { what: `order ${id} to reach ${statuses.join('|')}`, timeoutMs },
  );
}
