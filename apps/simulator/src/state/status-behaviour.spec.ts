import { plannedStatuses, type StatusBehaviour } from './status-behaviour.service.js';

const behaviour = (b: Partial<StatusBehaviour>): StatusBehaviour => ({ duplicate: false, reorder: 'none', stopAt: 'read', ...b });

describe('plannedStatuses', () => {
  it.each<[Partial<StatusBehaviour>, string[]]>([
    [{}, ['sent', 'delivered', 'read']],
    [{ stopAt: 'sent' }, ['sent']],
    [{ stopAt: 'delivered', reorder: 'reverse' }, ['delivered', 'sent']],
    [{ duplicate: true, stopAt: 'delivered' }, ['sent', 'sent', 'delivered', 'delivered']],
    [{ stopAt: 'accepted', duplicate: true, reorder: 'reverse' }, []],
  ])('plans %j as %j', (b, expected) => {
    expect(plannedStatuses(behaviour(b))).toEqual(expected);
  });

  it('shuffles with the random source given', () => {
    expect(plannedStatuses(behaviour({ reorder: 'shuffle' }), () => 0)).toEqual(['delivered', 'read', 'sent']);
  });
});
