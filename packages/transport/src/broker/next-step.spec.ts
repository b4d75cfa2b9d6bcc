import { delayTierAtLeast, NextStep, nextStep, Run, RunOutcome, RetryAdvice, scheduledDelay, waitDelay } from './next-step';

const SCHEDULE = [1_000, 5_000, 30_000];
/** Unsorted, with a repeated tier: as a schedule may be written. */
const STEPPED = [3_000, 30_000, 60_000, 30_000, 120_000];

describe('nextStep', () => {
  type Case = [string, RunOutcome, RetryAdvice | undefined, number, boolean, readonly number[], NextStep];

  const ack: NextStep = { step: 'ack' };
  const resolved: NextStep = { step: 'rerun-resolved' };
  const rerunFailed: NextStep = { step: 'rerun-failed' };
  const poison: NextStep = { step: 'set-aside', poison: true };
  const failed: NextStep = { step: 'set-aside', poison: false };
  const retry = (delayMs: number): NextStep => ({ step: 'retry', delayMs });
  const wait = (delayMs: number): NextStep => ({ step: 'wait', delayMs });

  const cases: Case[] = [
    // outcome, advice, attempt, re-run, schedule → step
    ['handled: acknowledged', 'handled', undefined, 1, false, SCHEDULE, ack],
    ['handled on the last attempt: acknowledged', 'handled', undefined, 4, false, SCHEDULE, ack],
    ['handled, advice ignored', 'handled', { notYet: true, final: true }, 2, false, SCHEDULE, ack],
    ['handled on a re-run: reported resolved', 'handled', undefined, 5, true, SCHEDULE, resolved],
    ['handled with no schedule', 'handled', undefined, 1, false, [], ack],

    ['poison: set aside at once', 'poison', undefined, 1, false, SCHEDULE, poison],
    ['poison on a later attempt: set aside', 'poison', undefined, 3, false, SCHEDULE, poison],
    ['poison after the last attempt: set aside as poison', 'poison', undefined, 4, false, SCHEDULE, poison],
    ['poison, advice ignored (never waits)', 'poison', { notYet: true, retryAfterMs: 10 }, 1, false, SCHEDULE, poison],
    ['poison on a re-run: reported failed', 'poison', undefined, 4, true, SCHEDULE, rerunFailed],
    ['poison with no schedule', 'poison', undefined, 1, false, [], poison],

    ['failed on attempt 1: the first delay', 'failed', undefined, 1, false, SCHEDULE, retry(1_000)],
    ['failed on attempt 2: the second delay', 'failed', undefined, 2, false, SCHEDULE, retry(5_000)],
    ['failed on attempt 3: the third delay', 'failed', undefined, 3, false, SCHEDULE, retry(30_000)],
    ['failed on the last attempt: set aside', 'failed', undefined, 4, false, SCHEDULE, failed],
    ['failed past the schedule: set aside', 'failed', undefined, 9, false, SCHEDULE, failed],
    ['failed with no schedule: set aside', 'failed', undefined, 1, false, [], failed],
    ['failed with empty advice: as without', 'failed', {}, 2, false, SCHEDULE, retry(5_000)],
    ['failed, final: set aside though delays are left', 'failed', { final: true }, 1, false, SCHEDULE, failed],
    ['failed, final on the last attempt: set aside', 'failed', { final: true }, 4, false, SCHEDULE, failed],
    ['failed on a re-run: reported failed, no retry', 'failed', undefined, 1, true, SCHEDULE, rerunFailed],
    ['failed, final, on a re-run: reported failed', 'failed', { final: true }, 2, true, SCHEDULE, rerunFailed],
    ['failed with a wish on a re-run: reported failed', 'failed', { retryAfterMs: 60_000 }, 2, true, SCHEDULE, rerunFailed],

    ['a wish shorter than the scheduled delay keeps it', 'failed', { retryAfterMs: 10 }, 2, false, SCHEDULE, retry(5_000)],
    ['a wish of 0 keeps the scheduled delay', 'failed', { retryAfterMs: 0 }, 1, false, SCHEDULE, retry(1_000)],
    ['a wish between tiers takes the next tier up', 'failed', { retryAfterMs: 2_000 }, 1, false, SCHEDULE, retry(5_000)],
    ['a wish on a tier takes that tier', 'failed', { retryAfterMs: 30_000 }, 1, false, SCHEDULE, retry(30_000)],
    ['a wish past every tier takes the longest', 'failed', { retryAfterMs: 3_600_000 }, 1, false, SCHEDULE, retry(30_000)],
    ['a wish on the last attempt: set aside all the same', 'failed', { retryAfterMs: 1_000 }, 4, false, SCHEDULE, failed],
    ['a wish with final: set aside', 'failed', { retryAfterMs: 1_000, final: true }, 1, false, SCHEDULE, failed],
    ['a wish on an unsorted schedule: the first tier at or past it', 'failed', { retryAfterMs: 45_000 }, 1, false, STEPPED, retry(60_000)],
    ['a wish past an unsorted schedule: its longest tier', 'failed', { retryAfterMs: 600_000 }, 2, false, STEPPED, retry(120_000)],
    ['an unsorted schedule without a wish: the delay in its place', 'failed', undefined, 4, false, STEPPED, retry(30_000)],

    ['not yet: waits on the shortest tier', 'failed', { notYet: true }, 1, false, SCHEDULE, wait(1_000)],
    ['not yet on the last attempt: still waits', 'failed', { notYet: true }, 4, false, SCHEDULE, wait(1_000)],
    ['not yet on an unsorted schedule: its shortest tier', 'failed', { notYet: true }, 2, false, [30_000, 3_000, 60_000], wait(3_000)],
    ['not yet wins over final', 'failed', { notYet: true, final: true }, 1, false, SCHEDULE, wait(1_000)],
    ['not yet wins over a wish', 'failed', { notYet: true, retryAfterMs: 30_000 }, 1, false, SCHEDULE, wait(1_000)],
    ['not yet on a re-run: waits too, still a re-run', 'failed', { notYet: true }, 5, true, SCHEDULE, wait(1_000)],
    ['not yet with no schedule: nothing to wait on, set aside', 'failed', { notYet: true }, 1, false, [], failed],
    ['not yet with no schedule on a re-run: reported failed', 'failed', { notYet: true }, 1, true, [], rerunFailed],
    ['notYet false: an ordinary failure', 'failed', { notYet: false }, 1, false, SCHEDULE, retry(1_000)],
  ];

  it.each(cases)('%s', (_, outcome, advice, attempt, rerun, delaysMs, expected) => {
    const run: Run = { outcome, advice, attempt, rerun };
    expect(nextStep(run, delaysMs)).toEqual(expected);
  });

  it('waits its own wait delay when the handler has one, shorter than any tier, and never counts it an attempt', () => {
    expect(nextStep({ outcome: 'failed', advice: { notYet: true }, attempt: 2, rerun: false }, SCHEDULE, 250)).toEqual(wait(250));
    expect(nextStep({ outcome: 'failed', advice: { notYet: true }, attempt: 1, rerun: false }, [], 250)).toEqual(wait(250));
    expect(nextStep({ outcome: 'failed', advice: {}, attempt: 1, rerun: false }, SCHEDULE, 250)).toEqual(retry(1_000));
  });

  it('waits longer once it has waited: the first tier at or past twice the wait delay, never an attempt', () => {
    const again = (waits: number, delaysMs: readonly number[], waitMs?: number) => nextStep({ outcome: 'failed', advice: { notYet: true }, attempt: 2, rerun: false, waits }, delaysMs, waitMs);
    expect(again(0, STEPPED, 1_000)).toEqual(wait(1_000));
    expect(again(1, STEPPED, 1_000)).toEqual(wait(3_000));
    expect(again(7, STEPPED, 1_000)).toEqual(wait(3_000));
    expect(again(1, SCHEDULE)).toEqual(wait(5_000));
    expect(again(1, [100, 200, 400], 100)).toEqual(wait(200));
  });

  it('gives every step with a delay one that is a tier of the schedule (a delay queue exists for it)', () => {
    for (const delaysMs of [SCHEDULE, STEPPED]) {
      for (let attempt = 1; attempt <= delaysMs.length + 1; attempt++) {
        for (const advice of [undefined, { notYet: true }, { retryAfterMs: 1 }, { retryAfterMs: 50_000 }, { retryAfterMs: 1e9 }]) {
          for (const waits of [0, 1, 5]) {
            const step = nextStep({ outcome: 'failed', advice, attempt, rerun: false, waits }, delaysMs);
            if (step.step === 'retry' || step.step === 'wait') expect(delaysMs).toContain(step.delayMs);
          }
        }
      }
    }
  });
});

describe('waitDelay', () => {
  it('is the wait delay the first time', () => {
    expect(waitDelay(STEPPED, 1_000, 0)).toBe(1_000);
  });

  it('stays the wait delay when no tier is twice as long', () => {
    expect(waitDelay([1_000, 1_500], 1_000, 3)).toBe(1_000);
    expect(waitDelay([], 250, 2)).toBe(250);
  });
});

describe('scheduledDelay', () => {
  it.each([
    [1, 1_000],
    [3, 30_000],
    [4, undefined],
  ])('after attempt %d: %p', (attempt, expected) => {
    expect(scheduledDelay(SCHEDULE, attempt)).toBe(expected);
  });
});

describe('delayTierAtLeast', () => {
  const schedule = [3_000, 30_000, 60_000, 120_000, 180_000, 300_000];

  it('keeps the scheduled delay when the wish is shorter', () => {
    expect(delayTierAtLeast(schedule, 30_000, 5_000)).toBe(30_000);
  });

  it('takes the first tier at or past the wish', () => {
    expect(delayTierAtLeast(schedule, 3_000, 45_000)).toBe(60_000);
    expect(delayTierAtLeast(schedule, 3_000, 60_000)).toBe(60_000);
  });

  it('stops at the longest tier', () => {
    expect(delayTierAtLeast(schedule, 3_000, 3_600_000)).toBe(300_000);
  });
});
