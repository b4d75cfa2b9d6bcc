import { CheckSettings, decide, OpenCondition, RecentGroup } from './conditions';

const settings: CheckSettings = { spikeCount: 4, spikeWindow: '5m', outboxStalledAfterMs: 120_000, outboxStalledAfter: '2m' };
const at = new Date('2026-11-22T03:00:00Z');

function group(failureGroup: string, failures: number): RecentGroup {
  return { failureGroup, handler: 'notify.merchant', fingerprint: 'DeliveryFailedError: HTTP <n>', endpoint: null, failures, firstFailedAt: at, lastFailedAt: at, messageId: 'm-1', error: 'DeliveryFailedError: HTTP 503' };
}
function open(kind: OpenCondition['kind'], subject: string): OpenCondition {
  return { id: `${kind}:${subject}`, kind, subject, episode: at.toISOString(), raisedAt: at };
}
const kinds = (decisions: ReturnType<typeof decide>) => ({
  begin: decisions.begin.map(({ kind, subject }) => `${kind} ${subject}`),
  end: decisions.end.map(({ kind, subject }) => `${kind} ${subject}`),
  changes: decisions.changes.map(({ kind, subject }) => `${kind} ${subject}`),
});

describe('the alert conditions', () => {
  it('says nothing when nothing failed and nothing waits', () => {
    expect(kinds(decide([], [], undefined, settings))).toEqual({ begin: [], end: [], changes: [] });
  });

  it("raises message.failed on a group's first failure after a quiet window, and not again while it goes on failing", () => {
    expect(kinds(decide([], [group('a', 1)], undefined, settings)).begin).toEqual(['message.failed a']);
    expect(kinds(decide([open('message.failed', 'a')], [group('a', 3)], undefined, settings)).begin).toEqual([]);
  });

  it('ends message.failed once a whole window passed without a failure of its group', () => {
    expect(kinds(decide([open('message.failed', 'a')], [group('b', 1)], undefined, settings))).toEqual({ begin: ['message.failed b'], end: ['message.failed a'], changes: [] });
  });

  it('raises one spike when a group reaches OPS_SPIKE_COUNT, and none while it lasts', () => {
    expect(kinds(decide([open('message.failed', 'a')], [group('a', 3)], undefined, settings)).begin).toEqual([]);
    const spike = decide([open('message.failed', 'a')], [group('a', 4)], undefined, settings);
    expect(kinds(spike).begin).toEqual(['failures.spike a']);
    expect(spike.begin[0].details).toMatchObject({ failureGroup: 'a', failures: 4, threshold: 4, window: '5m', since: at.toISOString() });
    expect(kinds(decide([open('message.failed', 'a'), open('failures.spike', 'a')], [group('a', 40)], undefined, settings)).begin).toEqual([]);
  });

  it('ends a spike only when its failures are down to half the threshold: a rate hovering at it is one spike', () => {
    const spiking = [open('message.failed', 'a'), open('failures.spike', 'a')];
    expect(kinds(decide(spiking, [group('a', 3)], undefined, settings)).end).toEqual([]);
    expect(kinds(decide(spiking, [group('a', 2)], undefined, settings)).end).toEqual(['failures.spike a']);
    expect(kinds(decide(spiking, [], undefined, settings)).end).toEqual(['message.failed a', 'failures.spike a']);
  });

  it('raises outbox.stalled once the oldest event is OPS_OUTBOX_STALLED_AFTER old, and outbox.recovered, for the same episode, when it is not', () => {
    const oldest = { id: 'e-1', routingKey: 'order.paid', createdAt: at, ageSeconds: 120 };
    expect(kinds(decide([], [], { ...oldest, ageSeconds: 119.9 }, settings)).begin).toEqual([]);
    const stalled = decide([], [], oldest, settings);
    expect(kinds(stalled).begin).toEqual(['outbox.stalled outbox']);
    expect(stalled.begin[0].details).toEqual({ oldestEventId: 'e-1', routingKey: 'order.paid', createdAt: at.toISOString(), ageSeconds: 120, stalledAfter: '2m' });
    expect(kinds(decide([open('outbox.stalled', 'outbox')], [], oldest, settings))).toEqual({ begin: [], end: [], changes: [] });
    const recovered = decide([open('outbox.stalled', 'outbox')], [], { ...oldest, ageSeconds: 1 }, settings);
    expect(kinds(recovered)).toEqual({ begin: [], end: ['outbox.stalled outbox'], changes: ['outbox.recovered outbox'] });
    expect(recovered.changes[0].episode).toBe(at.toISOString());
    expect(kinds(decide([open('outbox.stalled', 'outbox')], [], undefined, settings)).changes).toEqual(['outbox.recovered outbox']);
  });
});
