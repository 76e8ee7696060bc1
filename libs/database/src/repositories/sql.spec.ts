import { prefixed } from './sql.js';

describe('prefixed', () => {
  const row = {
    id: 'o1',
    status: 'sending',
    'contact.id': 'c1',
    'contact.lastInboundAt': new Date(0),
    'contact.heldUntil': null,
    'contactx.id': 'not mine',
    'profile.id': null,
    'profile.firstName': null,
  };

  it("takes one entity's fields out of a joined row, by their prefix only", () => {
    expect(prefixed(row, 'contact.')).toEqual({ id: 'c1', lastInboundAt: new Date(0), heldUntil: null });
  });

  it('is null when the LEFT JOIN found nothing (its id is null or absent)', () => {
    expect(prefixed(row, 'profile.')).toBeNull();
    expect(prefixed(row, 'policy.')).toBeNull();
  });
});
