import { describe, expect, it } from 'vitest';
import { checkName, parseDays, parseTime, ScheduleSpecError, scheduleSpec } from '../../cli/schedule-spec';

describe('schedule calendar options', () => {
  it('turns --at/--days/--tz into one calendar entry in that zone', () => {
    expect(scheduleSpec({ at: '2:30', days: 'mon-fri', tz: 'Europe/Paris' })).toEqual({
      calendars: [
        { hour: 2, minute: 30, dayOfWeek: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'] },
      ],
      timezone: 'Europe/Paris',
    });
    expect(scheduleSpec({ tz: 'UTC' })).toEqual({
      calendars: [{ hour: 2, minute: 0, dayOfWeek: '*' }],
      timezone: 'UTC',
    });
    expect(parseDays('fri-mon')).toEqual(['FRIDAY', 'SATURDAY', 'SUNDAY', 'MONDAY']);
    expect(parseDays('sat,sun')).toEqual(['SATURDAY', 'SUNDAY']);
    expect(scheduleSpec({ cron: '0  3 * * 1-5', tz: 'UTC' })).toEqual({
      cronExpressions: ['0 3 * * 1-5'],
      timezone: 'UTC',
    });
  });

  it('rejects a bad calendar with what is allowed', () => {
    expect(() => parseTime('25:00')).toThrow(/--at "25:00": expected a 24-hour time HH:MM/);
    expect(() => parseTime('2am')).toThrow(ScheduleSpecError);
    expect(() => parseDays('mon-funday')).toThrow(/unknown day "mon-funday"; allowed: daily, sun, mon, tue/);
    expect(() => scheduleSpec({ tz: 'Mars/Olympus' })).toThrow(
      /--tz "Mars\/Olympus": not an IANA time zone; for example UTC/,
    );
    expect(() => scheduleSpec({ cron: '0 2 * *', tz: 'UTC' })).toThrow(/expected five fields "minute hour/);
    expect(() => scheduleSpec({ cron: '0 2 * * *', at: '01:00', tz: 'UTC' })).toThrow(
      /either --cron or --at/,
    );
    expect(() => checkName('../x')).toThrow(/use letters, digits/);
  });
});
