import { newWamid } from './wamid.js';

describe('newWamid', () => {
  it("is shaped like Meta's and embeds the citizen's number", () => {
    const id = newWamid('393331234567', 'outbound');
    expect(id).toMatch(/^wamid\.[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(id.slice('wamid.'.length), 'base64').toString('latin1')).toContain('393331234567');
  });

  it('lays out the record as before: number, direction, then 20 random hex digits', () => {
    const record = Buffer.from(newWamid('393331234567', 'inbound').slice('wamid.'.length), 'base64');
    expect([...record.subarray(0, 3)]).toEqual([0x1c, 0x18, 12]);
    expect(record.subarray(3, 15).toString('ascii')).toBe('393331234567');
    expect([...record.subarray(15, 21)]).toEqual([0x15, 0x02, 0x00, 0x12, 0x18, 20]);
    expect(record.subarray(21).toString('ascii')).toMatch(/^[0-9A-F]{20}$/);
  });

  it('never repeats, across many refills of its random pool', () => {
    const ids = Array.from({ length: 5_000 }, () => newWamid('393331234567', 'outbound'));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
