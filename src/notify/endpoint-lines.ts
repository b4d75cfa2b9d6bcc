/**
 * The notifications this process holds waiting for a busy endpoint, one first-in-first-out
 * line per endpoint origin. A notification whose endpoint has no free slot waits here with its
 * broker message in hand (unacknowledged, within NOTIFY_PREFETCH) rather than going back to
 * the broker, so a fast merchant's burst is sent as fast as its slots free up, in the order it
 * came, and no waiting costs an attempt or a retry tier.
 *
 * The front of a line may try for a slot: as many places as the endpoint had slots free when
 * last seen (its window), at least the head. One try at a time would send no faster than one
 * claim per database round trip, and a line that formed in a burst would then never empty
 * while notifications kept coming. A claim that finds the endpoint full shuts the window to
 * the head, which asks again at once when one of this process's own attempts at the endpoint
 * ends (`freed`), and every `pollMs` otherwise, since other processes' slots free up unseen.
 * A line holds at most `capacity`; past it a notification waits on the broker for
 * NOTIFY_WAIT_DELAY instead, so a hanging endpoint holds at most its limit of requests and
 * this many messages, and the rest of the prefetch serves other endpoints (G9).
 *
 * Written here because the wait is for a slot that lives in the database, shared by every
 * process: no queue library models that.
 */
export class EndpointLines {
  private readonly lines = new Map<string, Line>();

  constructor(
    readonly capacity: number,
    private readonly pollMs: number,
    private readonly maxWaitMs: number,
  ) {}

  /**
   * A place in `origin`'s line by `rank`, the order its message arrived in (a message that
   * arrived earlier but took longer to get here still goes first); undefined when the line is full.
   */
  enter(origin: string, rank: number): Place | undefined {
    const line = this.lines.get(origin) ?? new Line();
    if (line.places.length >= this.capacity) return undefined;
    this.lines.set(origin, line);
    const place = new Place(this, origin, rank, this.pollMs, this.maxWaitMs);
    const at = line.places.findIndex((other) => other.rank > rank);
    line.places.splice(at === -1 ? line.places.length : at, 0, place);
    // Within the window: its turn is now.
    if (line.places.indexOf(place) < line.window) place.wake();
    return place;
  }

  /** Whether `origin`'s line has no room left. */
  isFull(origin: string): boolean {
    return (this.lines.get(origin)?.places.length ?? 0) >= this.capacity;
  }

  /** Whether anyone waits for `origin`: a newcomer joins behind them rather than overtaking them. */
  isWaiting(origin: string): boolean {
    return (this.lines.get(origin)?.places.length ?? 0) > 0;
  }

  /** One of this process's attempts at `origin` ended: its slot is free, the first place not already trying may take it. */
  freed(origin: string): void {
    const line = this.lines.get(origin);
    if (!line) return;
    const at = line.places.findIndex((place) => !place.trying);
    if (at === -1) return;
    line.window = Math.max(line.window, at + 1);
    line.places[at].wake();
  }

  /** `origin` had `free` slots when last seen: that many from the front may try. */
  opened(origin: string, free: number): void {
    const line = this.lines.get(origin);
    if (!line) return;
    line.window = Math.max(1, free);
    line.wakeWindow();
  }

  /** A claim found `origin` full: only the head tries again, when a slot frees. */
  shut(origin: string): void {
    const line = this.lines.get(origin);
    if (line) line.window = 1;
  }

  /** Whether `place` is within its line's window. */
  mayTry(place: Place): boolean {
    const line = this.lines.get(place.origin);
    if (!line) return false;
    const at = line.places.indexOf(place);
    return at !== -1 && at < line.window;
  }

  isHead(place: Place): boolean {
    return this.lines.get(place.origin)?.places[0] === place;
  }

  /**
   * `place` leaves its line; `freeAfter`, when it took a slot, is how many the endpoint had
   * left then: the window, which places moving into it may use at once.
   */
  leave(place: Place, freeAfter?: number): void {
    const line = this.lines.get(place.origin);
    if (!line) return;
    const at = line.places.indexOf(place);
    if (at === -1) return;
    line.places.splice(at, 1);
    if (line.places.length === 0) return void this.lines.delete(place.origin);
    if (freeAfter !== undefined) line.window = Math.max(1, freeAfter);
    line.wakeWindow();
  }

  /** How many wait, by origin. */
  counts(): Map<string, number> {
    return new Map([...this.lines].map(([origin, line]) => [origin, line.places.length]));
  }

  /** Every place gives up its wait now (shutdown): each waits on the broker instead. */
  closeAll(): void {
    for (const line of this.lines.values()) for (const place of line.places) place.close();
  }
}

class Line {
  readonly places: Place[] = [];
  /** How many from the front may try for a slot at once: the endpoint's free slots when last seen, at least the head. */
  window = 1;

  /** Every place within the window not trying already is told its turn has come. */
  wakeWindow(): void {
    for (const place of this.places.slice(0, this.window)) if (!place.trying) place.wake();
  }
}

export class Place {
  private woken = false;
  private closed = false;
  /** Between a turn and the next call of `turn`: its claim is under way. */
  trying = false;
  private resolve?: () => void;
  private readonly since = Date.now();

  constructor(
    private readonly lines: EndpointLines,
    readonly origin: string,
    readonly rank: number,
    private readonly pollMs: number,
    private readonly maxWaitMs: number,
  ) {}

  wake(): void {
    this.woken = true;
    this.resolve?.();
  }

  close(): void {
    this.closed = true;
    this.resolve?.();
  }

  /**
   * Resolves true when it is this place's turn to try for a slot: it is within its line's
   * window, and either a slot was just freed here (or it just came into the window) or
   * `freeSlots`, asked by the head, says some are free elsewhere. False when it has waited
   * its longest, or the process is stopping.
   */
  async turn(freeSlots: () => Promise<number>): Promise<boolean> {
    this.trying = false;
    for (;;) {
      if (this.closed || Date.now() - this.since >= this.maxWaitMs) return false;
      const mayTry = this.lines.mayTry(this);
      if (mayTry && this.woken) {
        this.woken = false;
        this.trying = true;
        return true;
      }
      // A wake meant for a place within the window, which this one has since left.
      if (!mayTry) this.woken = false;
      const head = this.lines.isHead(this);
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.resolve = resolve;
        if (this.woken || this.closed) return resolve();
        // Only the head asks the database; the others wait to be moved up.
        const wait = head ? this.pollMs : this.maxWaitMs - (Date.now() - this.since);
        timer = setTimeout(resolve, Math.max(0, wait));
      });
      clearTimeout(timer);
      this.resolve = undefined;
      if (!this.woken && !this.closed && this.lines.isHead(this)) {
        const free = await freeSlots();
        if (free > 0) this.lines.opened(this.origin, free);
      }
    }
  }

  leave(freeAfter?: number): void {
    this.lines.leave(this, freeAfter);
  }
}
