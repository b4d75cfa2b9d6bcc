/**
 * The notifications this process holds waiting for a busy endpoint, one first-in-first-out
 * line per endpoint origin. A notification whose endpoint has no free slot waits here with its
 * broker message in hand (unacknowledged, within NOTIFY_PREFETCH) rather than going back to
 * the broker, so a fast merchant's burst is sent as fast as its slots free up, in the order it
 * came, and no waiting costs an attempt or a retry tier.
 *
 * Only the line's head asks for a slot: at once when one of this process's own attempts at
 * the endpoint ends (`freed`), and every `pollMs` otherwise, since other processes' slots free
 * up unseen. A line holds at most `capacity`; past it a notification waits on the broker for
 * NOTIFY_WAIT_DELAY instead, so a hanging endpoint holds at most its limit of requests and
 * this many messages, and the rest of the prefetch serves other endpoints (G9).
 *
 * Written here because the wait is for a slot that lives in the database, shared by every
 * process: no queue library models that.
 */
export class EndpointLines {
  private readonly lines = new Map<string, Place[]>();

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
    const line = this.lines.get(origin) ?? [];
    if (line.length >= this.capacity) return undefined;
    this.lines.set(origin, line);
    const place = new Place(this, origin, rank, this.pollMs, this.maxWaitMs);
    const at = line.findIndex((other) => other.rank > rank);
    line.splice(at === -1 ? line.length : at, 0, place);
    // At the head: its turn is now.
    if (line[0] === place) place.wake();
    return place;
  }

  /** Whether `origin`'s line has no room left. */
  isFull(origin: string): boolean {
    return (this.lines.get(origin)?.length ?? 0) >= this.capacity;
  }

  /** Whether anyone waits for `origin`: a newcomer joins behind them rather than overtaking them. */
  isWaiting(origin: string): boolean {
    return (this.lines.get(origin)?.length ?? 0) > 0;
  }

  /** One of this process's attempts at `origin` ended: its slot is free, the head may take it. */
  freed(origin: string): void {
    this.lines.get(origin)?.[0]?.wake();
  }

  isHead(place: Place): boolean {
    return this.lines.get(place.origin)?.[0] === place;
  }

  leave(place: Place): void {
    const line = this.lines.get(place.origin);
    if (!line) return;
    const at = line.indexOf(place);
    if (at === -1) return;
    line.splice(at, 1);
    if (line.length === 0) this.lines.delete(place.origin);
    else if (at === 0) line[0].wake();
  }

  /** How many wait, by origin. */
  counts(): Map<string, number> {
    return new Map([...this.lines].map(([origin, line]) => [origin, line.length]));
  }

  /** Every place gives up its wait now (shutdown): each waits on the broker instead. */
  closeAll(): void {
    for (const line of this.lines.values()) for (const place of line) place.close();
  }
}

export class Place {
  private woken = false;
  private closed = false;
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
   * Resolves true when it is this place's turn to try for a slot: it heads the line, and
   * either a slot was just freed here (or it just came to the head) or `hasFreeSlot` says one
   * is free elsewhere. False when it has waited its longest, or the process is stopping.
   */
  async turn(hasFreeSlot: () => Promise<boolean>): Promise<boolean> {
    for (;;) {
      if (this.closed || Date.now() - this.since >= this.maxWaitMs) return false;
      const head = this.lines.isHead(this);
      if (head && this.woken) {
        this.woken = false;
        return true;
      }
      // A wake meant for the head, which an earlier arrival has since become.
      if (!head) this.woken = false;
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
      if (!this.woken && !this.closed && this.lines.isHead(this) && (await hasFreeSlot())) return true;
    }
  }

  leave(): void {
    this.lines.leave(this);
  }
}
