import { EndpointLines } from './endpoint-lines';

const never = () => Promise.resolve(0);
const always = () => Promise.resolve(1);

describe('the waiting lines of endpoints', () => {
  it('gives turns in the order places were taken, one as each slot frees here', async () => {
    const lines = new EndpointLines(10, 60_000, 60_000);
    const places = [1, 2, 3].map(() => lines.enter('https://a.example', 1)!);
    const order: number[] = [];
    const turns = places.map((place, index) =>
      place.turn(never).then((turn) => {
        order.push(index);
        place.leave();
        return turn;
      }),
    );
    // The first is the head of an empty line: its turn is at once; each leaving moves the next up.
    expect(await Promise.all(turns)).toEqual([true, true, true]);
    expect(order).toEqual([0, 1, 2]);
  });

  it('wakes only the head when a slot frees here, and the others only when they come to the head', async () => {
    const lines = new EndpointLines(10, 60_000, 60_000);
    const first = lines.enter('https://a.example', 2)!;
    expect(await first.turn(never)).toBe(true);
    // The head tried and found the endpoint busy: it waits again, and so does the one behind it.
    const second = lines.enter('https://a.example', 3)!;
    let secondTurn = false;
    void second.turn(never).then(() => (secondTurn = true));
    const firstAgain = first.turn(never);
    lines.freed('https://a.example');
    expect(await firstAgain).toBe(true);
    expect(secondTurn).toBe(false);
    first.leave();
    await new Promise(setImmediate);
    expect(secondTurn).toBe(true);
  });

  it('lets the head ask the database every pollMs for slots freed by other processes', async () => {
    const lines = new EndpointLines(10, 5, 60_000);
    const head = lines.enter('https://a.example', 4)!;
    await head.turn(never);
    let asked = 0;
    expect(await head.turn(async () => (++asked >= 3 ? 1 : 0))).toBe(true);
    expect(asked).toBe(3);
  });

  it('lets as many from the front try at once as the endpoint has slots free, and only the head once it is full', async () => {
    const lines = new EndpointLines(10, 5, 60_000);
    const head = lines.enter('https://a.example', 1)!;
    await head.turn(never);
    // The head tried and found the endpoint full: the window is the head alone.
    lines.shut('https://a.example');
    const behind = [2, 3, 4].map((rank) => lines.enter('https://a.example', rank)!);
    const turned: number[] = [];
    behind.forEach((place, index) => void place.turn(never).then(() => turned.push(index)));
    // The head's poll finds three slots free: it and the next two go together, the fourth waits.
    expect(await head.turn(async () => 3)).toBe(true);
    await new Promise(setImmediate);
    expect(turned).toEqual([0, 1]);
    // The head took a slot and left two free, which the two trying will take: the last waits.
    head.leave(2);
    await new Promise(setImmediate);
    expect(turned).toEqual([0, 1]);
    // The next took one and left two free (one freed meanwhile): the last place's turn comes.
    behind[0].leave(2);
    await new Promise(setImmediate);
    expect(turned).toEqual([0, 1, 2]);
    lines.closeAll();
  });

  it('gives a slot freed here to the first place not trying already', async () => {
    const lines = new EndpointLines(10, 60_000, 60_000);
    const head = lines.enter('https://a.example', 1)!;
    expect(await head.turn(never)).toBe(true);
    const second = lines.enter('https://a.example', 2)!;
    let secondTurn = false;
    void second.turn(never).then(() => (secondTurn = true));
    await new Promise(setImmediate);
    expect(secondTurn).toBe(false);
    // The head is still claiming: the freed slot is the second's.
    lines.freed('https://a.example');
    await new Promise(setImmediate);
    expect(secondTurn).toBe(true);
    lines.closeAll();
  });

  it('holds at most its capacity per endpoint, each endpoint its own', () => {
    const lines = new EndpointLines(2, 60_000, 60_000);
    expect(lines.enter('https://a.example', 5)).toBeDefined();
    expect(lines.enter('https://a.example', 6)).toBeDefined();
    expect(lines.enter('https://a.example', 7)).toBeUndefined();
    expect(lines.enter('https://b.example', 8)).toBeDefined();
    expect(lines.counts()).toEqual(new Map([['https://a.example', 2], ['https://b.example', 1]]));
  });

  it('gives up after its longest wait, and at once when the process stops', async () => {
    const lines = new EndpointLines(10, 1, 30);
    const head = lines.enter('https://a.example', 9)!;
    await head.turn(always);
    expect(await head.turn(never)).toBe(false);
    const other = new EndpointLines(10, 60_000, 60_000);
    const waiting = other.enter('https://b.example', 10)!;
    await waiting.turn(never);
    const turn = waiting.turn(never);
    other.closeAll();
    expect(await turn).toBe(false);
  });

  it('puts an earlier arrival ahead of later ones, even at the head', async () => {
    const lines = new EndpointLines(10, 60_000, 60_000);
    const later = lines.enter('https://a.example', 20)!;
    await later.turn(never);
    const latest = lines.enter('https://a.example', 30)!;
    const earlier = lines.enter('https://a.example', 10)!;
    const order: string[] = [];
    const turns = [
      [earlier, 'earlier'],
      [later, 'later'],
      [latest, 'latest'],
    ].map(([place, name]) => (place as typeof later).turn(never).then(() => (order.push(name as string), (place as typeof later).leave())));
    await Promise.all(turns);
    expect(order).toEqual(['earlier', 'later', 'latest']);
  });

  it('forgets a line once its last place leaves', () => {
    const lines = new EndpointLines(10, 60_000, 60_000);
    const place = lines.enter('https://a.example', 11)!;
    expect(lines.isWaiting('https://a.example')).toBe(true);
    place.leave();
    expect(lines.isWaiting('https://a.example')).toBe(false);
    expect(lines.counts().size).toBe(0);
  });
});
