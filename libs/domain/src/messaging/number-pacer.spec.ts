import { ClockOffset, SendWindow } from './number-pacer.js';

describe('SendWindow', () => {
  it('lets `limit` sends through in any window and says how long the next must wait', () => {
    const w = new SendWindow(1_000);
    for (let i = 0; i < 3; i++) expect(w.admit('n', 3, 10_000 + i)).toBe(0);
    // The oldest of the three went at 10,000: one more fits once it is a full second old.
    expect(w.admit('n', 3, 10_500)).toBe(501);
    expect(w.admit('n', 3, 11_000)).toBe(0);
    expect(w.admit('n', 3, 11_000)).toBe(2);
    expect(w.admit('n', 3, 11_001)).toBe(0);
    // A refused send is not counted: the window holds 10,002, 11,000 and 11,001.
    expect(w.admit('n', 3, 11_001)).toBe(2);
    expect(w.admit('n', 3, 11_002)).toBe(0);
  });

  it('turns a burst of late sends into the pace the window allows, never more than the limit a second', () => {
    const w = new SendWindow(1_000);
    const limit = 79;
    const sent: number[] = [];
    // 400 sends all due at t=0 (a stalled event loop): each goes as soon as the window allows.
    let now = 0;
    for (let i = 0; i < 400; i++) {
      for (let wait = w.admit('n', limit, now); wait > 0; wait = w.admit('n', limit, now)) now += wait;
      sent.push(now);
    }
    for (let i = limit; i < sent.length; i++) expect(sent[i] - sent[i - limit]).toBeGreaterThan(999);
    expect(sent[sent.length - 1]).toBeLessThan(5_100);
  });

  it('keeps numbers apart, and starts over when a number’s limit changes', () => {
    const w = new SendWindow(1_000);
    // [number, limit, now, whether it must wait]
    const steps: [string, number, number, boolean][] = [
      ['a', 1, 0, false],
      ['b', 1, 0, false],
      ['a', 1, 10, true],
      ['a', 2, 10, false],
      ['a', 2, 20, false],
      ['a', 2, 30, true],
    ];
    expect(steps.map(([key, limit, now]) => w.admit(key, limit, now) > 0)).toEqual(steps.map((s) => s[3]));
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
