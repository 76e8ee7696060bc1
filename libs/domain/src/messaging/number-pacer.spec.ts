import { ClockOffset, SendWindow, type SendTicket } from './number-pacer.js';

describe('SendWindow', () => {
  /** Admits and, when admitted, records the answer `rtt` ms later; returns the wait (0 when admitted). */
  const sendAt = (w: SendWindow, key: string, limit: number, now: number, rtt = 0): number => {
    const admitted = w.admit(key, limit, now);
    if (typeof admitted === 'number') return admitted;
    w.answered(admitted, now + rtt);
    return 0;
  };

  it('lets `limit` sends through in any window and says how long the next must wait', () => {
    const w = new SendWindow(1_000);
    for (let i = 0; i < 3; i++) expect(sendAt(w, 'n', 3, 10_000 + i)).toBe(0);
    // The oldest of the three was answered at 10,000: one more fits once that is a full second old.
    expect(sendAt(w, 'n', 3, 10_500)).toBe(501);
    expect(sendAt(w, 'n', 3, 11_000)).toBe(0);
    expect(sendAt(w, 'n', 3, 11_000)).toBe(2);
    expect(sendAt(w, 'n', 3, 11_001)).toBe(0);
    // A refused send is not counted: the window holds 10,002, 11,000 and 11,001.
    expect(sendAt(w, 'n', 3, 11_001)).toBe(2);
    expect(sendAt(w, 'n', 3, 11_002)).toBe(0);
  });

  it('counts a send until a full window after its answer, and an unanswered one as long as it is unanswered', () => {
    const w = new SendWindow(1_000);
    expect(typeof w.admit('n', 2, 0)).toBe('object');
    const second = w.admit('n', 2, 10) as SendTicket;
    // Both unanswered: the next waits, briefly each time.
    expect(w.admit('n', 2, 1_200)).toBe(5);
    // The second is answered at 1,300 (a receiver that stalled): it counts until 2,300, and the first still counts.
    w.answered(second, 1_300);
    expect(w.admit('n', 2, 1_400)).toBe(901);
    expect(typeof w.admit('n', 2, 2_301)).toBe('object');
  });

  it('lets a send whose answer never comes hold one place, not the window', () => {
    const w = new SendWindow(1_000);
    expect(typeof w.admit('n', 3, 0)).toBe('object');
    let now = 0;
    let sent = 0;
    while (now < 10_000) {
      const wait = sendAt(w, 'n', 3, now, 10);
      if (wait === 0) sent += 1;
      else now += wait;
    }
    // The two other places: two sends a window and a round trip.
    expect(sent).toBeGreaterThanOrEqual(18);
    expect(sent).toBeLessThanOrEqual(22);
  });

  it('settles a ticket once', () => {
    const w = new SendWindow(1_000);
    const ticket = w.admit('n', 1, 0) as SendTicket;
    w.answered(ticket, 0);
    w.release(ticket);
    w.answered(ticket, 500);
    expect(w.admit('n', 1, 999)).toBe(2);
    expect(typeof w.admit('n', 1, 1_000)).toBe('object');
  });

  it('frees the place of a send that did not go at once', () => {
    const w = new SendWindow(1_000);
    const ticket = w.admit('n', 1, 0);
    expect(w.admit('n', 1, 1)).toBe(5);
    w.release(ticket as SendTicket);
    expect(typeof w.admit('n', 1, 2)).toBe('object');
  });

  it('never lets a stalled receiver count more than the limit in a second, where pacing by the clock alone did', () => {
    const limit = 79;
    const interval = 1_000 / 78.8;
    // The receiver counts a request when it gets to it: at the end of any stall it is in, else 1 ms on; it answers 1 ms after counting.
    const stalls: [number, number][] = [];
    for (let t = 300; t < 20_000; t += 700 + ((t * 7) % 500)) stalls.push([t, t + 15 + ((t * 13) % 60)]);
    const countedAt = (sent: number): number => {
      const stall = stalls.find(([from, to]) => sent >= from && sent < to);
      return stall ? stall[1] : sent + 1;
    };
    const overLimit = (counted: number[]): number => {
      const sorted = [...counted].sort((a, b) => a - b);
      let over = 0;
      for (let i = limit; i < sorted.length; i++) if (sorted[i] - sorted[i - limit] <= 1_000) over += 1;
      return over;
    };

    // By the clock alone: each send at its slot.
    const slots = Array.from({ length: 1_500 }, (_, i) => i * interval);
    expect(overLimit(slots.map(countedAt))).toBeGreaterThan(0);

    // Through the window, each answered when the receiver answers it.
    const w = new SendWindow(1_000);
    const counted: number[] = [];
    let now = 0;
    for (const slot of slots) {
      now = Math.max(now, slot);
      for (let admitted = w.admit('n', limit, now); ; admitted = w.admit('n', limit, now)) {
        if (typeof admitted === 'number') {
          now += admitted;
          continue;
        }
        const at = countedAt(now);
        counted.push(at);
        w.answered(admitted, at + 1);
        break;
      }
    }
    expect(overLimit(counted)).toBe(0);
    // At the cost of the stalls themselves, not of the pace: well within 2 % of the clock's schedule.
    expect(now).toBeLessThan(slots[slots.length - 1] * 1.02);
  });

  it('turns a burst of late sends into the pace the window allows, never more than the limit a second', () => {
    const w = new SendWindow(1_000);
    const limit = 79;
    const sent: number[] = [];
    // 400 sends all due at t=0 (a stalled event loop): each goes as soon as the window allows.
    let now = 0;
    for (let i = 0; i < 400; i++) {
      for (let wait = sendAt(w, 'n', limit, now); wait > 0; wait = sendAt(w, 'n', limit, now)) now += wait;
      sent.push(now);
    }
    for (let i = limit; i < sent.length; i++) expect(sent[i] - sent[i - limit]).toBeGreaterThan(999);
    expect(sent[sent.length - 1]).toBeLessThan(5_100);
  });

  it('keeps numbers apart, and keeps counting when a number’s limit changes (its citizens’ messages come and go)', () => {
    const w = new SendWindow(1_000);
    // [number, limit, now, whether it must wait]
    const steps: [string, number, number, boolean][] = [
      ['a', 1, 0, false],
      ['b', 1, 0, false],
      ['a', 1, 10, true],
      ['a', 2, 10, false],
      ['a', 2, 20, true],
      ['a', 3, 30, false],
      ['a', 1, 40, true],
    ];
    expect(steps.map(([key, limit, now]) => sendAt(w, key, limit, now) > 0)).toEqual(steps.map((s) => s[3]));
  });
});

describe('ClockOffset', () => {
  it('takes the estimate from the tightest round trip and keeps it over looser ones', () => {
    const c = new ClockOffset();
    // Local clock 40 ms ahead of the remote one; a 10 ms round trip, then one the event loop stretched.
    expect(c.observe(1_000, 1_010, 965)).toBe(40);
    expect(c.observe(2_000, 2_300, 1_965)).toBe(40);
    // A tighter one replaces it.
    expect(c.observe(3_000, 3_002, 2_959)).toBe(42);
  });

  it('lets a fresh estimate replace one that has aged, and ignores a reply without a time', () => {
    const c = new ClockOffset();
    c.observe(0, 2, -39);
    // Ten minutes on, the old one (±1 ms) counts as ±61 ms: a ±20 ms round trip wins.
    expect(c.observe(600_000, 600_040, 599_990)).toBe(30);
    expect(c.observe(600_100, 600_200, Number.NaN)).toBe(30);
  });
});
