import { DEFAULT_RETRY_SCHEDULE, HandlerSchedules } from './handler-schedules';

describe('HandlerSchedules', () => {
  const compensation = { handlerRetryScheduleMs: [1_000, 5_000, 30_000], sweepIntervalMs: 30_000, sweepScheduleMs: [600_000], rerunLeaseMs: 900_000 };
  let schedules: HandlerSchedules;

  beforeEach(() => {
    schedules = new HandlerSchedules(compensation);
  });

  it('has HANDLER_RETRY_SCHEDULE as the default schedule', () => {
    expect(schedules.retrySchedule()).toEqual([1_000, 5_000, 30_000]);
    expect(schedules.retrySchedule(undefined)).toEqual([1_000, 5_000, 30_000]);
    expect(schedules.retrySchedule(DEFAULT_RETRY_SCHEDULE)).toEqual([1_000, 5_000, 30_000]);
  });

  it('gives what a module defined, by its name', () => {
    schedules.define('stepped', [3_000, 30_000]);
    schedules.defineDelay('later', 1_800_000);
    expect(schedules.retrySchedule('stepped')).toEqual([3_000, 30_000]);
    expect(schedules.deliveryDelay('later')).toBe(1_800_000);
  });

  it('keeps its own copy of a schedule', () => {
    const delays = [3_000, 30_000];
    schedules.define('stepped', delays);
    delays.push(1);
    schedules.retrySchedule('stepped').push(2);
    expect(schedules.retrySchedule('stepped')).toEqual([3_000, 30_000]);
  });

  it('names the unknown schedule and the defined ones', () => {
    schedules.define('stepped', [3_000]);
    expect(() => schedules.retrySchedule('stepd')).toThrow('no retry schedule is named "stepd" (defined: "handler", "stepped")');
    expect(() => schedules.deliveryDelay('later')).toThrow('no delivery delay is named "later" (defined: none)');
  });

  it.each([
    ['no delays', []],
    ['a zero delay', [0]],
    ['a negative delay', [1_000, -1]],
    ['a fraction', [1.5]],
    ['not a number', [Number.NaN]],
  ])('refuses a schedule of %s', (_, delays) => {
    expect(() => schedules.define('bad', delays)).toThrow(/the retry schedule "bad" must be one or more whole, positive milliseconds/);
  });

  it('refuses a bad delay, a nameless one and a name defined twice', () => {
    expect(() => schedules.defineDelay('bad', 0)).toThrow(/whole, positive milliseconds/);
    expect(() => schedules.defineDelay('', 1_000)).toThrow(/needs a name/);
    expect(() => schedules.define(DEFAULT_RETRY_SCHEDULE, [1])).toThrow('the retry schedule "handler" is defined twice');
    schedules.defineDelay('later', 1_000);
    expect(() => schedules.defineDelay('later', 2_000)).toThrow('the delivery delay "later" is defined twice');
  });

  it('refuses a definition once the handlers have read theirs', () => {
    schedules.seal('HandlerExplorer');
    expect(() => schedules.define('late', [1_000])).toThrow(/defined after HandlerExplorer read them: define it in a module's onModuleInit/);
    expect(() => schedules.defineDelay('late', 1_000)).toThrow(/defined after HandlerExplorer/);
    expect(schedules.retrySchedule()).toEqual([1_000, 5_000, 30_000]);
  });
});
