import { LATENCY_SLACK_MS, limitStep, nextLimit, slotsOf } from './adaptive-limit';

const bounds = { min: 1, max: 64 };
const fast = { sent: true, latencyMs: 12, timedOut: false, floorMs: 10, inFlight: 4, limit: 4, ownLatenessMs: 0 };

describe('the adaptive limit of an endpoint', () => {
  it.each([
    ['an answer at the usual speed with the slots in use grows it', fast, 'increase'],
    ['an answer at the usual speed with few slots in use leaves it', { ...fast, inFlight: 1, limit: 8 }, 'hold'],
    ['the first answer, with no speed known yet, grows it', { ...fast, floorMs: null }, 'increase'],
    ['a timeout shrinks it', { ...fast, latencyMs: 5_000, timedOut: true }, 'decrease'],
    ['an answer over twice the usual time and the slack shrinks it', { ...fast, latencyMs: 10 * 2 + LATENCY_SLACK_MS + 1 }, 'decrease'],
    ['an answer just within twice the usual time and the slack does not', { ...fast, latencyMs: 10 * 2 + LATENCY_SLACK_MS }, 'increase'],
    ['an answer late by our own loop\'s lateness is not held against the merchant', { ...fast, latencyMs: 10 * 2 + LATENCY_SLACK_MS + 30, ownLatenessMs: 30 }, 'increase'],
    ['an answer later than that still shrinks it', { ...fast, latencyMs: 10 * 2 + LATENCY_SLACK_MS + 31, ownLatenessMs: 30 }, 'decrease'],
    ['a request never sent (open circuit, disabled) says nothing', { ...fast, sent: false, timedOut: true }, 'hold'],
  ] as const)('%s', (_, attempt, step) => {
    expect(limitStep(attempt)).toBe(step);
  });

  it('moves between its bounds: one more per good answer, a tenth less per bad one', () => {
    expect(nextLimit(4, 'increase', bounds)).toBe(5);
    expect(nextLimit(64, 'increase', bounds)).toBe(64);
    expect(nextLimit(10, 'decrease', bounds)).toBeCloseTo(9);
    expect(nextLimit(1.05, 'decrease', bounds)).toBe(1);
    expect(nextLimit(7.5, 'hold', bounds)).toBe(7.5);
  });

  it('falls from its maximum to its minimum within a few dozen timeouts, and grows back within as many good answers', () => {
    let limit = 64;
    let timeouts = 0;
    while (limit > 1) {
      limit = nextLimit(limit, limitStep({ ...fast, latencyMs: 5_000, timedOut: true, limit }), bounds);
      timeouts += 1;
    }
    expect(timeouts).toBeLessThanOrEqual(40);
    let answers = 0;
    while (limit < 32) {
      limit = nextLimit(limit, limitStep({ ...fast, inFlight: Math.ceil(limit), limit }), bounds);
      answers += 1;
    }
    expect(answers).toBe(31);
  });

  it('gives the whole slots of the limit, under the cap ops set, and always one', () => {
    expect(slotsOf(7.9, null)).toBe(7);
    expect(slotsOf(7.9, 3)).toBe(3);
    expect(slotsOf(0.5, null)).toBe(1);
  });
});
