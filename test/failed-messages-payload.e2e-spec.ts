import { connect } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { failedMessage } from './support/failed-messages';
import { http } from './support/http';
import { consumersReady } from './support/reliability-broker';
import { RunningApp, TestWorld } from './support/test-world';
import { waitFor } from './support/wait-for';

/**
 * SPEC §4: a poison message is stored whole however large, lists cut a payload over 4 KiB
 * (`payloadTruncated: true`), and the single view answers it whole.
 */
describe('failed messages: large payloads', () => {
  const LIMIT_BYTES = 4096;
  let world: TestWorld;
  let platform: RunningApp;

  beforeAll(async () => {
    world = await TestWorld.create('failed_payload');
    platform = await world.start();
  });
  afterAll(() => world.destroy());

  async function publishPoison(messages: { messageId: string; body: Buffer }[]) {
    const connection = await connect(world.rabbitmqUrl);
    try {
      const channel = await connection.createConfirmChannel();
      for (const message of messages) {
        channel.sendToQueue('stock.reserve', message.body, { messageId: message.messageId, contentType: 'application/json', persistent: true });
      }
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
  }

  it('stores a 10 MB poison message whole, lists it cut to 4 KiB, and shows it whole alone', async () => {
    await consumersReady(world.name, ['stock.reserve']);
    // Not JSON (poison), 10 MB, with multi-byte characters so a cut could split one.
    const huge = { messageId: `huge-${randomUUID()}`, body: Buffer.from(`not json: ${'ü€'.repeat(2 * 1024 * 1024)}`, 'utf8') };
    expect(huge.body.length).toBeGreaterThan(10 * 1024 * 1024);
    // JSON just over the limit (an unknown event type, also poison), and a small one.
    const envelope = (padding: string) => JSON.stringify({ id: randomUUID(), type: 'order.exploded', occurredAt: new Date().toISOString(), data: { padding } });
    const justOver = { messageId: `over-${randomUUID()}`, body: Buffer.from(envelope('é'.repeat(2100)), 'utf8') };
    const small = { messageId: `small-${randomUUID()}`, body: Buffer.from(envelope('tiny'), 'utf8') };
    expect(justOver.body.length).toBeGreaterThan(LIMIT_BYTES);
    await publishPoison([huge, justOver, small]);

    const ids = [huge, justOver, small].map((message) => message.messageId);
    const rows = await waitFor(
      async () => {
        const found = await world.query<{ id: string; message_id: string; bytes: number }>(
          'SELECT id, message_id, octet_length(payload)::int AS bytes FROM failed_messages WHERE message_id = ANY($1)',
          [ids],
        );
        return found.length === 3 ? found : undefined;
      },
      { what: 'the three poison messages to be recorded', timeoutMs: 60_000 },
    );
    const byMessage = new Map(rows.map((row) => [row.message_id, row]));
    // Stored whole.
    expect(byMessage.get(huge.messageId)!.bytes).toBe(huge.body.length);
    expect(byMessage.get(justOver.messageId)!.bytes).toBe(justOver.body.length);

    // The list: small, and each payload over 4 KiB cut to a prefix of at most 4 KiB of whole characters.
    const list = await http(platform.url, 'GET', '/admin/failed-messages?limit=100', { admin: true });
    expect(list.status).toBe(200);
    expect(Buffer.byteLength(list.text)).toBeLessThan(32 * 1024);
    const listed = new Map((list.body.items as { messageId: string; payload: unknown; payloadTruncated: boolean }[]).map((item) => [item.messageId, item]));
    for (const message of [huge, justOver]) {
      const item = listed.get(message.messageId)!;
      expect(item.payloadTruncated).toBe(true);
      expect(typeof item.payload).toBe('string');
      const cut = Buffer.from(item.payload as string, 'utf8');
      expect(cut.length).toBeLessThanOrEqual(LIMIT_BYTES);
      expect(cut.length).toBeGreaterThan(LIMIT_BYTES - 4);
      expect(message.body.subarray(0, cut.length).equals(cut)).toBe(true);
    }
    expect(listed.get(small.messageId)).toMatchObject({ payloadTruncated: false, payload: JSON.parse(small.body.toString('utf8')) });

    // The single view: whole.
    const hugeView = await failedMessage(platform.url, byMessage.get(huge.messageId)!.id);
    expect(hugeView).toMatchObject({ poison: true, payloadTruncated: false });
    expect(hugeView.payload).toBe(huge.body.toString('utf8'));
    const overView = await failedMessage(platform.url, byMessage.get(justOver.messageId)!.id);
    expect(overView.payload).toEqual(JSON.parse(justOver.body.toString('utf8')));
  }, 120_000);

  it('finds a failed message by q: its message id, its routing key or the order id in its payload', async () => {
    const orderId = randomUUID();
    const body = JSON.stringify({ id: randomUUID(), type: 'order.exploded', occurredAt: new Date().toISOString(), data: { orderId } });
    const messageId = `q-${randomUUID()}`;
    await publishPoison([{ messageId, body: Buffer.from(body) }]);
    await waitFor(async () => (await world.query('SELECT 1 FROM failed_messages WHERE message_id = $1', [messageId])).length === 1, {
      what: 'the message to be recorded',
    });
    const search = async (q: string) =>
      ((await http(platform.url, 'GET', `/admin/failed-messages?q=${encodeURIComponent(q)}`, { admin: true })).body.items as { messageId: string }[]).map(
        (item) => item.messageId,
      );
    expect(await search(messageId)).toEqual([messageId]);
    expect(await search(orderId)).toEqual([messageId]);
    expect(await search(orderId.toUpperCase())).toEqual([messageId]);
    expect(await search(randomUUID())).toEqual([]);
    // Sent straight to the queue, the message's routing key is the queue's name.
    expect(await search('stock.reserve')).toContain(messageId);
    // No routing key is order.paid: what q finds by it is the rows whose error names it (a type it expected).
    const naming = (await http(platform.url, 'GET', '/admin/failed-messages?q=order.paid', { admin: true })).body.items as { messageId: string; routingKey: string; error: string }[];
    expect(naming.length).toBeGreaterThan(0);
    for (const item of naming) expect({ routingKey: item.routingKey, names: item.error.split('\n')[0].includes('order.paid') }).toEqual({ routingKey: item.routingKey, names: true });
  });
});
