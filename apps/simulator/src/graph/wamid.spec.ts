import { newWamid } from './wamid.js';

describe('newWamid', () => {
  it("is shaped like Meta's and embeds the citizen's number", () => {
    const id = newWamid('393331234567', 'outbound');
    expect(id).toMatch(/^wamid\.[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(id.slice('wamid.'.length), 'base64').toString('latin1')).toContain('393331234567');
  });

  it('never repeats, across many refills of its random pool', () => {
    const ids = Array.from({ length: 5_000 }, () => newWamid('393331234567', 'outbound'));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
