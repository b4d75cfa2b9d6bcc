import { http } from './http';
import { waitFor } from './wait-for';

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
