import { createEnvelope } from '@backstop/transport';
import type { ConsumeMessage } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { HandlerRunner } from './handler-runner';
import type { HandlerOutcome } from './event-handler.decorator';
import type { RegisteredHandler } from './registered-handler';

/**
 * What the runner does with each next step, against stubs of the recorder, the publisher and
 * the metrics (the decision itself is `nextStep`'s, tested in the transport package).
 */
describe('HandlerRunner following the next step', () => {
  const QUEUE = 'test.handler';
  const orderId = randomUUID();
  const envelope = createEnvelope('order.confirmed', { orderId });

  let recorder: { record: jest.Mock; rerunSucceeded: jest.Mock; rerunFailed: jest.Mock };
  let publisher: { toQueue: jest.Mock };
  let runs: string[];
  let tiers: string[];

  function runnerWith(invoke: () => Promise<HandlerOutcome>) {
    recorder = { record: jest.fn().mockResolvedValue(undefined), rerunSucceeded: jest.fn().mockResolvedValue(undefined), rerunFailed: jest.fn().mockResolvedValue(undefined) };
    publisher = { toQueue: jest.fn().mockResolvedValue(undefined) };
    runs = [];
    tiers = [];
    const metrics = {
      handlerRuns: { inc: ({ outcome }: { outcome: string }) => runs.push(outcome) },
      retries: { inc: ({ tier }: { tier: string }) => tiers.push(tier) },
    };
    const logger = { error: jest.fn(), warn: jest.fn(), debug: jest.fn(), log: jest.fn() };
    // Built around its constructor, which belongs to the database layer: only what these paths use.
    const runner = Object.create(HandlerRunner.prototype) as HandlerRunner;
    Object.assign(runner, {
      recorder,
      publisher,
      metrics,
      logger,
      inFlight: new Set(),
      contextFor: () => ({}),
    });
    const handler = { queue: QUEUE, routingKeys: ['order.confirmed'], delaysMs: [1_000, 5_000, 30_000], invoke } as unknown as RegisteredHandler;
    return (message: ConsumeMessage) => runner.run(handler, message);
  }

  function message(body: unknown, headers: Record<string, unknown> = {}, messageId: string | null = envelope.id): ConsumeMessage {
    const content = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    return { content, fields: { deliveryTag: 9, routingKey: 'order.confirmed' }, properties: { messageId: messageId ?? undefined, type: 'order.confirmed', headers } } as unknown as ConsumeMessage;
  }

  const earlier = JSON.stringify([{ attempt: 1, at: '2026-01-01T00:00:00.000Z', error: 'Error: first' }]);
  const thrown = (fields: object = {}) => () => Promise.reject(Object.assign(new Error('boom'), fields));

  it('acks what was done, counting what the handler did', async () => {
    await runnerWith(async () => 'skipped')(message(envelope));
    expect(runs).toEqual(['skipped']);
    expect(publisher.toQueue).not.toHaveBeenCalled();
    expect(recorder.record).not.toHaveBeenCalled();
  });

  it("settles a re-run's row when it succeeds", async () => {
    await runnerWith(async () => 'done')(message(envelope, { 'x-rerun': 'row-1', 'x-attempt': 4 }));
    expect(recorder.rerunSucceeded).toHaveBeenCalledWith('row-1');
    expect(runs).toEqual(['rerun_resolved']);
  });

  it('retries on the delay of the attempt, one attempt up, with the error added', async () => {
    await runnerWith(thrown())(message(envelope, { 'x-attempt': 2, 'x-errors': earlier }));
    const [queue, , , headers] = publisher.toQueue.mock.calls[0];
    expect(queue).toBe(`${QUEUE}.retry.5s`);
    expect(headers['x-attempt']).toBe(3);
    expect(JSON.parse(headers['x-errors']).map((error: { attempt: number }) => error.attempt)).toEqual([1, 2]);
    expect(runs).toEqual(['retried']);
    expect(tiers).toEqual(['5s']);
  });

  it('meets a Retry-After wish with the first tier at or past it', async () => {
    await runnerWith(thrown({ retryAfterMs: 6_000 }))(message(envelope));
    expect(publisher.toQueue.mock.calls[0][0]).toBe(`${QUEUE}.retry.30s`);
  });

  it('parks what cannot start yet on the shortest tier, with the attempt and errors it came with', async () => {
    await runnerWith(thrown({ notYet: true }))(message(envelope, { 'x-attempt': 2, 'x-errors': earlier, 'x-death': [{}] }));
    const [queue, , , headers] = publisher.toQueue.mock.calls[0];
    expect(queue).toBe(`${QUEUE}.retry.1s`);
    expect(headers).toEqual({ 'x-attempt': 2, 'x-errors': earlier, 'x-waits': 1 });
    expect(runs).toEqual(['not_yet']);
  });

  it('parks what still cannot start on its return longer, on the first tier at or past twice the wait, still not an attempt', async () => {
    await runnerWith(thrown({ notYet: true }))(message(envelope, { 'x-attempt': 2, 'x-errors': earlier, 'x-waits': 1 }));
    const [queue, , , headers] = publisher.toQueue.mock.calls[0];
    expect(queue).toBe(`${QUEUE}.retry.5s`);
    expect(headers).toEqual({ 'x-attempt': 2, 'x-errors': earlier, 'x-waits': 2 });
    expect(runs).toEqual(['not_yet']);
  });

  it.each([
    ['after the last attempt', {}, 4],
    ['at once when final', { final: true }, 1],
  ])('records a failure %s', async (_, advice, attempt) => {
    await runnerWith(thrown(advice))(message(envelope, { 'x-attempt': attempt }));
    expect(recorder.record).toHaveBeenCalledWith(expect.objectContaining({ handler: QUEUE, messageId: envelope.id, attempts: attempt, poison: false, routingKey: 'order.confirmed' }));
    expect(recorder.record.mock.calls[0][0].errors.map((error: { attempt: number }) => error.attempt)).toEqual([attempt]);
    expect(runs).toEqual(['failed']);
  });

  it("fails a re-run's row, with no retry", async () => {
    await runnerWith(thrown())(message(envelope, { 'x-rerun': 'row-2', 'x-attempt': 4 }));
    expect(recorder.rerunFailed).toHaveBeenCalledWith('row-2', 4, expect.stringMatching(/^Error: boom/), 'Error: boom', undefined);
    expect(publisher.toQueue).not.toHaveBeenCalled();
    expect(runs).toEqual(['rerun_failed']);
  });

  it('hands the recorder the endpoint a thrown error names, for its failure group', async () => {
    await runnerWith(thrown({ final: true, endpoint: 'https://shop.example/notify' }))(message(envelope));
    expect(recorder.record.mock.calls[0][0]).toMatchObject({ endpoint: 'https://shop.example/notify' });
    await runnerWith(thrown({ endpoint: 'https://shop.example/notify' }))(message(envelope, { 'x-rerun': 'row-5', 'x-attempt': 5 }));
    expect(recorder.rerunFailed).toHaveBeenCalledWith('row-5', 5, expect.stringMatching(/^Error: boom/), 'Error: boom', 'https://shop.example/notify');
    await runnerWith(thrown({ final: true, endpoint: 42 }))(message(envelope));
    expect(recorder.record.mock.calls[0][0].endpoint).toBeUndefined();
  });

  it('records what the handler refused as poison, with the errors before it', async () => {
    await runnerWith(async () => ({ refused: `order ${orderId} does not exist` }))(message(envelope, { 'x-attempt': 2, 'x-errors': earlier }));
    const failure = recorder.record.mock.calls[0][0];
    expect(failure).toMatchObject({ attempts: 2, poison: true });
    expect(failure.error).toMatch(/^InvalidEnvelopeError: order .* does not exist/);
    expect(failure.errors.map((error: { attempt: number }) => error.attempt)).toEqual([1, 2]);
    expect(runs).toEqual(['poison']);
  });

  it("fails a re-run's row when the handler refuses it", async () => {
    await runnerWith(async () => ({ refused: 'no such order' }))(message(envelope, { 'x-rerun': 'row-3', 'x-attempt': 2 }));
    expect(recorder.rerunFailed).toHaveBeenCalledWith('row-3', 2, expect.stringMatching(/^InvalidEnvelopeError: no such order/), 'InvalidEnvelopeError: no such order', undefined);
    expect(recorder.record).not.toHaveBeenCalled();
    expect(runs).toEqual(['poison']);
  });

  it('records what it cannot read afresh as poison: attempt 1, whatever its headers say, under a made-up id when it has none', async () => {
    const invoke = jest.fn();
    await runnerWith(invoke)(message('not an envelope', { 'x-rerun': 'row-4', 'x-attempt': 3, 'x-errors': earlier }, null));
    expect(invoke).not.toHaveBeenCalled();
    const failure = recorder.record.mock.calls[0][0];
    expect(failure).toMatchObject({ attempts: 1, poison: true, payload: 'not an envelope' });
    expect(failure.messageId).toMatch(/^no-id:\d+:9$/);
    expect(failure.errors).toHaveLength(1);
    expect(recorder.rerunFailed).not.toHaveBeenCalled();
    expect(runs).toEqual(['poison']);
  });

  it('parks a failure in the DLQ when it cannot be recorded', async () => {
    const run = runnerWith(thrown({ final: true }));
    recorder.record.mockRejectedValue(new Error('database down'));
    await run(message(envelope));
    const [queue, , , headers] = publisher.toQueue.mock.calls[0];
    expect(queue).toBe(`${QUEUE}.dlq`);
    expect(headers['x-attempt']).toBe(1);
  });
});
