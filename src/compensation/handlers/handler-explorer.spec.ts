import { HandlerExplorer } from './handler-explorer';
import { HandlerSchedules } from './handler-schedules';
import type { EventHandlerOptions } from './event-handler.decorator';

describe('HandlerExplorer resolving the schedules handlers name', () => {
  const compensation = { handlerRetryScheduleMs: [1_000, 5_000], sweepIntervalMs: 30_000, sweepScheduleMs: [600_000], rerunLeaseMs: 900_000 };

  function explorerOf(metas: EventHandlerOptions[], schedules: HandlerSchedules) {
    const discovery = {
      providerMethodsWithMetaAtKey: async () =>
        metas.map((meta) => ({ meta, discoveredMethod: { parentClass: { instance: {} }, handler: async () => 'done' } })),
    };
    const amqp = { managedChannel: { addSetup: jest.fn().mockResolvedValue(undefined) } };
    const explorer = new HandlerExplorer(
      discovery as never,
      amqp as never,
      {} as never,
      {} as never,
      {} as never,
      {} as never,
      schedules,
      { runsWorker: false } as never,
      { queueType: 'classic' } as never,
    );
    return { explorer, amqp };
  }

  it('gives each handler the schedule and delivery delay its module defined, and the default otherwise', async () => {
    const schedules = new HandlerSchedules(compensation);
    schedules.define('stepped', [3_000, 30_000]);
    schedules.defineDelay('later', 60_000);
    const { explorer, amqp } = explorerOf(
      [
        { queue: 'a.default', routingKeys: ['order.created'] },
        { queue: 'b.stepped', routingKeys: ['order.paid'], retry: 'stepped' },
        { queue: 'c.later', routingKeys: ['order.confirmed'], retry: 'handler', deliverAfter: 'later' },
      ],
      schedules,
    );
    await explorer.onApplicationBootstrap();
    expect(explorer.handlers.map(({ queue, delaysMs, deliveryDelayMs }) => ({ queue, delaysMs, deliveryDelayMs }))).toEqual([
      { queue: 'a.default', delaysMs: [1_000, 5_000], deliveryDelayMs: undefined },
      { queue: 'b.stepped', delaysMs: [3_000, 30_000], deliveryDelayMs: undefined },
      { queue: 'c.later', delaysMs: [1_000, 5_000], deliveryDelayMs: 60_000 },
    ]);
    expect(amqp.managedChannel.addSetup).toHaveBeenCalledTimes(1);
  });

  it('stops the start on a name nobody defined, naming every handler that names one', async () => {
    const { explorer, amqp } = explorerOf(
      [
        { queue: 'a.fine', routingKeys: ['order.created'] },
        { queue: 'b.typo', routingKeys: ['order.paid'], retry: 'notfy' },
        { queue: 'c.undefined', routingKeys: ['order.confirmed'], deliverAfter: 'order-payment-timeout' },
      ],
      new HandlerSchedules(compensation),
    );
    const started = explorer.onApplicationBootstrap();
    await expect(started).rejects.toThrow('b.typo: no retry schedule is named "notfy" (defined: "handler")');
    await expect(started).rejects.toThrow('c.undefined: no delivery delay is named "order-payment-timeout" (defined: none)');
    expect(amqp.managedChannel.addSetup).not.toHaveBeenCalled();
  });
});
