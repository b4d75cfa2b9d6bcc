import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { OwnLateness } from './own-lateness';

describe("the process's own lateness", () => {
  it('is nothing before its first window, then reports a loop kept busy as late', async () => {
    const lateness = new OwnLateness();
    lateness.onModuleInit();
    try {
      expect(lateness.recentMs).toBe(0);
      // Busy in 40 ms stretches for a little over a window: the loop's timer runs late each time.
      const stop = Date.now() + 1_300;
      while (Date.now() < stop) {
        const until = Date.now() + 40;
        while (Date.now() < until);
        await yieldToLoop();
      }
      // Bounded poll for the window that saw it to close (longer on a loaded machine).
      const deadline = Date.now() + 5_000;
      while (lateness.recentMs < 20 && Date.now() < deadline) await sleep(20);
      expect(lateness.recentMs).toBeGreaterThanOrEqual(20);
    } finally {
      lateness.onModuleDestroy();
    }
  });
});
