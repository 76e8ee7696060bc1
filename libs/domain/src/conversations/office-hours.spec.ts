import {
  describeOpening,
  isOfficeOpen,
  nationalHolidays,
  nextOpening,
  officeHoursProblems,
  officeMillisBetween,
  type OfficeHours,
} from './office-hours.js';

/** San Romano in Garfagnana's Segreteria: Mon, Wed, Fri, Sat 9–13; Tue, Thu 9–17; closed on holidays. */
const sanRomano: OfficeHours = {
  timezone: 'Europe/Rome',
  weekly: {
    '1': [{ from: '09:00', to: '13:00' }],
    '2': [{ from: '09:00', to: '17:00' }],
    '3': [{ from: '09:00', to: '13:00' }],
    '4': [{ from: '09:00', to: '17:00' }],
    '5': [{ from: '09:00', to: '13:00' }],
    '6': [{ from: '09:00', to: '13:00' }],
  },
  closedOnHolidays: true,
  patronDay: null,
  closedDates: [],
};

const at = (iso: string): Date => new Date(iso);
const HOUR = 3_600_000;

describe('office hours', () => {
  describe('isOfficeOpen', () => {
    it('follows the weekly schedule in local time, the end of an interval excluded', () => {
      // Monday 2 March 2026 (CET, UTC+1).
      expect(isOfficeOpen(sanRomano, at('2026-03-02T08:00:00Z'))).toBe(true); // 09:00
      expect(isOfficeOpen(sanRomano, at('2026-03-02T07:59:59Z'))).toBe(false); // 08:59:59
      expect(isOfficeOpen(sanRomano, at('2026-03-02T11:59:59Z'))).toBe(true); // 12:59:59
      expect(isOfficeOpen(sanRomano, at('2026-03-02T12:00:00Z'))).toBe(false); // 13:00
      // Tuesday: open in the afternoon too.
      expect(isOfficeOpen(sanRomano, at('2026-03-03T15:30:00Z'))).toBe(true); // 16:30
      expect(isOfficeOpen(sanRomano, at('2026-03-03T16:00:00Z'))).toBe(false); // 17:00
      // Wednesday afternoon: closed. Saturday morning: open. Sunday: closed.
      expect(isOfficeOpen(sanRomano, at('2026-03-04T15:30:00Z'))).toBe(false);
      expect(isOfficeOpen(sanRomano, at('2026-03-07T09:00:00Z'))).toBe(true);
      expect(isOfficeOpen(sanRomano, at('2026-03-08T09:00:00Z'))).toBe(false);
    });

    it('uses summer time after the clocks go forward', () => {
      // Tuesday 31 March 2026 (CEST, UTC+2): 09:00 local is 07:00Z.
      expect(isOfficeOpen(sanRomano, at('2026-03-31T07:00:00Z'))).toBe(true);
      expect(isOfficeOpen(sanRomano, at('2026-03-31T06:59:00Z'))).toBe(false);
      expect(isOfficeOpen(sanRomano, at('2026-03-31T14:59:00Z'))).toBe(true); // 16:59
      expect(isOfficeOpen(sanRomano, at('2026-03-31T15:00:00Z'))).toBe(false); // 17:00
    });

    it('is closed on national holidays (Easter Monday, Christmas, Republic Day) unless told otherwise', () => {
      expect(isOfficeOpen(sanRomano, at('2026-04-06T08:00:00Z'))).toBe(false); // Easter Monday, 10:00
      expect(isOfficeOpen(sanRomano, at('2026-06-02T08:00:00Z'))).toBe(false); // Tuesday, Festa della Repubblica
      expect(isOfficeOpen(sanRomano, at('2026-12-08T09:00:00Z'))).toBe(false); // Tuesday, Immacolata
      expect(isOfficeOpen({ ...sanRomano, closedOnHolidays: false }, at('2026-04-06T08:00:00Z'))).toBe(true);
    });

    it('is closed on the patron saint’s day every year and on the comune’s own closing days', () => {
      const h = { ...sanRomano, patronDay: '07-29', closedDates: ['2026-08-14'] };
      expect(isOfficeOpen(h, at('2026-07-29T08:00:00Z'))).toBe(false); // Wednesday
      expect(isOfficeOpen(h, at('2027-07-29T08:00:00Z'))).toBe(false); // Thursday
      expect(isOfficeOpen(h, at('2026-07-30T08:00:00Z'))).toBe(true);
      expect(isOfficeOpen(h, at('2026-08-14T08:00:00Z'))).toBe(false); // Friday
      expect(isOfficeOpen(sanRomano, at('2026-08-14T08:00:00Z'))).toBe(true);
    });
  });

  describe('nextOpening', () => {
    it('is the instant itself when the office is open', () => {
      const t = at('2026-03-02T09:30:00Z');
      expect(nextOpening(sanRomano, t)).toEqual(t);
    });

    it('is later the same day, or the next opening day', () => {
      expect(nextOpening(sanRomano, at('2026-03-02T06:00:00Z'))).toEqual(at('2026-03-02T08:00:00Z')); // Mon 07:00 → 09:00
      expect(nextOpening(sanRomano, at('2026-03-02T12:00:00Z'))).toEqual(at('2026-03-03T08:00:00Z')); // Mon 13:00 → Tue 09:00
      expect(nextOpening(sanRomano, at('2026-03-07T13:00:00Z'))).toEqual(at('2026-03-09T08:00:00Z')); // Sat 14:00 → Mon 09:00
    });

    it('skips Easter Sunday and Monday', () => {
      // Saturday 4 April 2026, 14:00 CEST → Tuesday 7 April 09:00 CEST.
      expect(nextOpening(sanRomano, at('2026-04-04T12:00:00Z'))).toEqual(at('2026-04-07T07:00:00Z'));
    });

    it('crosses the change to summer time and back with 09:00 on the wall clock', () => {
      // Clocks go forward on Sunday 29 March 2026: Sat 14:00 CET → Mon 09:00 CEST.
      expect(nextOpening(sanRomano, at('2026-03-28T13:00:00Z'))).toEqual(at('2026-03-30T07:00:00Z'));
      // Clocks go back on Sunday 25 October 2026: Sat 14:00 CEST → Mon 09:00 CET.
      expect(nextOpening(sanRomano, at('2026-10-24T12:00:00Z'))).toEqual(at('2026-10-26T08:00:00Z'));
    });

    it('is null for an office that never opens', () => {
      expect(nextOpening({ ...sanRomano, weekly: {} }, at('2026-03-02T08:00:00Z'))).toBeNull();
    });

    it('reads the schedule in the office’s own zone', () => {
      const london = { ...sanRomano, timezone: 'Europe/London' };
      // Monday 2 March 2026 08:30Z is 08:30 in London (closed) and 09:30 in Rome (open).
      expect(isOfficeOpen(london, at('2026-03-02T08:30:00Z'))).toBe(false);
      expect(nextOpening(london, at('2026-03-02T08:30:00Z'))).toEqual(at('2026-03-02T09:00:00Z'));
    });
  });

  describe('officeMillisBetween', () => {
    it('counts only the opening hours between two instants', () => {
      // Monday 12:00 → Monday 12:30: all within hours.
      expect(officeMillisBetween(sanRomano, at('2026-03-02T11:00:00Z'), at('2026-03-02T11:30:00Z'))).toBe(HOUR / 2);
      // Saturday 14:00 → Monday 09:30: only Monday's first half hour.
      expect(officeMillisBetween(sanRomano, at('2026-03-07T13:00:00Z'), at('2026-03-09T08:30:00Z'))).toBe(HOUR / 2);
      // Friday 12:00 → Saturday 10:00: Friday 12–13 and Saturday 9–10.
      expect(officeMillisBetween(sanRomano, at('2026-03-06T11:00:00Z'), at('2026-03-07T09:00:00Z'))).toBe(2 * HOUR);
      expect(officeMillisBetween(sanRomano, at('2026-03-07T09:00:00Z'), at('2026-03-06T11:00:00Z'))).toBe(0);
    });

    it('counts the real length of hours on the nights the clocks change', () => {
      const night = { ...sanRomano, weekly: { '7': [{ from: '01:00', to: '04:00' }] }, closedOnHolidays: false };
      // 29 March 2026: 02:00 → 03:00 does not exist, so 01:00–04:00 lasts two hours.
      expect(officeMillisBetween(night, at('2026-03-28T12:00:00Z'), at('2026-03-30T12:00:00Z'))).toBe(2 * HOUR);
      // 25 October 2026: 02:00 → 03:00 happens twice, so it lasts four.
      expect(officeMillisBetween(night, at('2026-10-24T12:00:00Z'), at('2026-10-26T12:00:00Z'))).toBe(4 * HOUR);
    });
  });

  describe('describeOpening', () => {
    const now = at('2026-03-02T20:00:00Z'); // Monday 21:00
    it('says today, tomorrow, or the weekday and date, in Italian', () => {
      expect(describeOpening(at('2026-03-02T20:30:00Z'), at('2026-03-02T19:00:00Z'), 'Europe/Rome')).toBe('oggi alle 21:30');
      expect(describeOpening(at('2026-03-03T08:00:00Z'), now, 'Europe/Rome')).toBe('domani alle 9:00');
      expect(describeOpening(at('2026-03-09T08:00:00Z'), now, 'Europe/Rome')).toBe('lunedì 9 marzo alle 9:00');
    });
  });

  describe('officeHoursProblems', () => {
    it('accepts a good schedule', () => {
      expect(officeHoursProblems(sanRomano)).toEqual([]);
      expect(officeHoursProblems({ ...sanRomano, weekly: { '1': [{ from: '00:00', to: '24:00' }] }, patronDay: '02-29' })).toEqual([]);
    });

    it('names every problem', () => {
      const problems = officeHoursProblems({
        timezone: 'Europe/Nowhere',
        weekly: {
          '1': [
            { from: '09:00', to: '13:00' },
            { from: '12:00', to: '14:00' },
          ],
          '2': [{ from: '17:00', to: '09:00' }],
          '3': [{ from: '9', to: '13:00' }],
          ...({ '8': [] } as object),
        },
        closedOnHolidays: true,
        patronDay: '13-01',
        closedDates: ['2026-02-30'],
      });
      expect(problems).toEqual([
        'timezone: unknown zone Europe/Nowhere',
        'weeklySchedule.1: 09:00–13:00 overlaps 12:00–14:00',
        'weeklySchedule.2: 17:00–09:00 ends before it starts',
        'weeklySchedule.3: times are HH:MM',
        'weeklySchedule: 8 is not a weekday (1 = Monday … 7 = Sunday)',
        'patronDay: must be MM-DD',
        'closedDates: 2026-02-30 is not a YYYY-MM-DD date',
      ]);
    });

    it('refuses intervals that are not {from, to} objects', () => {
      expect(officeHoursProblems({ ...sanRomano, weekly: { '1': 'sempre' as never } })).toEqual([
        'weeklySchedule.1: a list of {"from": "HH:MM", "to": "HH:MM"}',
      ]);
    });
  });

  it('knows Italy’s national public holidays, not observances', () => {
    const days = nationalHolidays(2026);
    for (const d of [
      '2026-01-01',
      '2026-01-06',
      '2026-04-06',
      '2026-04-25',
      '2026-05-01',
      '2026-06-02',
      '2026-08-15',
      '2026-11-01',
      '2026-12-08',
      '2026-12-25',
      '2026-12-26',
    ]) {
      expect(days).toContain(d);
    }
    expect(days).not.toContain('2026-05-10'); // Festa della mamma
  });
});
