import { fieldsOf } from './sql.js';

describe('fieldsOf', () => {
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
  const contactFields = ['id', 'lastInboundAt', 'heldUntil'] as const;
  type Contact = { id: string; lastInboundAt: Date | null; heldUntil: Date | null };

  it('takes the named fields out of a joined row, by their prefix only', () => {
    expect(fieldsOf<Contact>(row, contactFields, 'contact.')).toEqual({ id: 'c1', lastInboundAt: new Date(0), heldUntil: null });
    expect(fieldsOf<{ id: string; status: string }>(row, ['id', 'status'])).toEqual({ id: 'o1', status: 'sending' });
  });

  it('gives a named field the row lacks as undefined, and nothing it was not asked for', () => {
    expect(fieldsOf<{ id: string; attempts: number }>(row, ['id', 'attempts'])).toEqual({ id: 'o1', attempts: undefined });
    expect(Object.keys(fieldsOf<Contact>(row, contactFields, 'contact.')!)).toEqual(['id', 'lastInboundAt', 'heldUntil']);
  });

  it('is null when the LEFT JOIN found nothing (its id is null or absent)', () => {
    expect(fieldsOf<{ id: string; firstName: string }>(row, ['id', 'firstName'], 'profile.')).toBeNull();
    expect(fieldsOf<{ id: string }>(row, ['id'], 'policy.')).toBeNull();
  });
});
