import {
  appointmentAnswerOf,
  autoReplyFor,
  canMoveAppointment,
  canMoveConversation,
  categoryOfReply,
  isEmergency,
  median,
} from './conversation-rules.js';
import type { OfficeHours } from './office-hours.js';

const hours: OfficeHours = {
  timezone: 'Europe/Rome',
  weekly: { '1': [{ from: '09:00', to: '13:00' }], '2': [{ from: '09:00', to: '13:00' }] },
  closedOnHolidays: true,
  patronDay: null,
  closedDates: [],
};
const at = (iso: string): Date => new Date(iso);
const none = { kind: null, at: null };

describe('conversation rules', () => {
  describe('autoReplyFor', () => {
    const mondayMorning = at('2026-03-02T09:00:00Z'); // 10:00, open
    const mondayNight = at('2026-03-02T21:00:00Z'); // 22:00, closed

    it('acknowledges a new conversation inside hours, and only a new one', () => {
      expect(autoReplyFor({ created: true, openNow: true, last: none, now: mondayMorning, hours })).toBe('ack');
      expect(autoReplyFor({ created: false, openNow: true, last: { kind: 'ack', at: mondayMorning }, now: mondayMorning, hours })).toBeNull();
    });

    it('says when the office reopens outside hours, once per closed stretch', () => {
      expect(autoReplyFor({ created: true, openNow: false, last: none, now: mondayNight, hours })).toBe('closed');
      // Again later the same night: told already.
      expect(
        autoReplyFor({ created: false, openNow: false, last: { kind: 'closed', at: mondayNight }, now: at('2026-03-02T23:30:00Z'), hours }),
      ).toBeNull();
      // Tuesday night: the office opened and closed again since.
      expect(
        autoReplyFor({ created: false, openNow: false, last: { kind: 'closed', at: mondayNight }, now: at('2026-03-03T21:00:00Z'), hours }),
      ).toBe('closed');
      // Acknowledged in the morning, writes again after closing: told when it reopens.
      expect(autoReplyFor({ created: false, openNow: false, last: { kind: 'ack', at: mondayMorning }, now: mondayNight, hours })).toBe('closed');
    });
  });

  describe('isEmergency', () => {
    it('matches the keyword at the start, without case, accents or punctuation', () => {
      expect(isEmergency('EMERGENZA', 'EMERGENZA')).toBe(true);
      expect(isEmergency('emergenza: albero caduto sulla strada', 'EMERGENZA')).toBe(true);
      expect(isEmergency('  Emergenza! frana a Vibbiana', 'EMERGENZA')).toBe(true);
      expect(isEmergency('Emergènza', 'EMERGENZA')).toBe(true);
      expect(isEmergency('SOS acqua', 'S.O.S.')).toBe(false);
      expect(isEmergency('AIUTO SUBITO, acqua in casa', 'AIUTO SUBITO')).toBe(true);
    });

    it('does not match the word elsewhere, a longer word, or nothing', () => {
      expect(isEmergency('non è una emergenza', 'EMERGENZA')).toBe(false);
      expect(isEmergency('EMERGENZE', 'EMERGENZA')).toBe(false);
      expect(isEmergency(null, 'EMERGENZA')).toBe(false);
      expect(isEmergency('EMERGENZA', '  ')).toBe(false);
    });
  });

  it('moves conversations open ⇄ pending → closed, and reopens closed ones', () => {
    expect(canMoveConversation('open', 'pending')).toBe(true);
    expect(canMoveConversation('pending', 'open')).toBe(true);
    expect(canMoveConversation('open', 'closed')).toBe(true);
    expect(canMoveConversation('pending', 'closed')).toBe(true);
    expect(canMoveConversation('closed', 'open')).toBe(true);
    expect(canMoveConversation('closed', 'pending')).toBe(false);
  });

  it('moves appointments requested → proposed → confirmed | declined, never back from declined', () => {
    expect(canMoveAppointment('requested', 'proposed')).toBe(true);
    expect(canMoveAppointment('proposed', 'proposed')).toBe(true);
    expect(canMoveAppointment('proposed', 'confirmed')).toBe(true);
    expect(canMoveAppointment('confirmed', 'declined')).toBe(true);
    expect(canMoveAppointment('confirmed', 'proposed')).toBe(false);
    expect(canMoveAppointment('declined', 'requested')).toBe(false);
    expect(canMoveAppointment('requested', 'requested')).toBe(false);
  });

  it('reads the ids of tapped rows and buttons', () => {
    expect(categoryOfReply('CAT:segnalazione')).toBe('segnalazione');
    expect(categoryOfReply('CAT:nonsense')).toBeNull();
    expect(categoryOfReply('LIST:notizie')).toBeNull();
    expect(categoryOfReply(null)).toBeNull();
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    expect(appointmentAnswerOf(`APPT:${id}:SI`)).toEqual({ appointmentId: id, accept: true });
    expect(appointmentAnswerOf(`APPT:${id}:NO`)).toEqual({ appointmentId: id, accept: false });
    expect(appointmentAnswerOf(`APPT:x:SI`)).toBeNull();
  });

  it('takes the median of durations', () => {
    expect(median([])).toBeNull();
    expect(median([5])).toBe(5);
    expect(median([9, 1, 5])).toBe(5);
    expect(median([1, 2, 3, 10])).toBe(2.5);
  });
});
