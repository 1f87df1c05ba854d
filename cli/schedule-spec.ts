// Command-line calendar options → a Temporal ScheduleSpec, with errors that say what is allowed.
import type { CalendarSpec, DayOfWeek, ScheduleSpec } from '@temporalio/client';

const DAYS: Record<string, DayOfWeek> = {
  sun: 'SUNDAY',
  mon: 'MONDAY',
  tue: 'TUESDAY',
  wed: 'WEDNESDAY',
  thu: 'THURSDAY',
  fri: 'FRIDAY',
  sat: 'SATURDAY',
};
const ORDER = Object.keys(DAYS);

export class ScheduleSpecError extends Error {}

/** A schedule's name: part of its id, of workflow ids and of a directory name. */
export function checkName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/.test(name)) {
    throw new ScheduleSpecError(
      `schedule name ${JSON.stringify(name)}: use letters, digits, - and _ (up to 63, starting with a letter or digit)`,
    );
  }
  return name;
}

export interface CalendarOptions {
  /** Local time of day, HH:MM (24 h). */
  at?: string;
  /** "daily", or days and ranges: "mon-fri", "sat,sun". */
  days?: string;
  /** IANA time zone, e.g. Europe/Paris. */
  tz?: string;
  /** A cron expression instead of --at/--days (five fields: minute hour day-of-month month day-of-week). */
  cron?: string;
}

export function parseTime(at: string): { hour: number; minute: number } {
  const m = /^(\d{1,2}):(\d{2})$/.exec(at.trim());
  const hour = Number(m?.[1]);
  const minute = Number(m?.[2]);
  if (!m || hour > 23 || minute > 59) {
    throw new ScheduleSpecError(
      `--at ${JSON.stringify(at)}: expected a 24-hour time HH:MM, e.g. 02:00 or 23:30`,
    );
  }
  return { hour, minute };
}

export function parseDays(days: string): DayOfWeek[] | '*' {
  const text = days.trim().toLowerCase();
  if (text === 'daily' || text === '*') return '*';
  const out = new Set<DayOfWeek>();
  for (const part of text.split(',')) {
    const [from, to] = part.split('-').map((d) => d.trim());
    const a = ORDER.indexOf(from ?? '');
    const b = to === undefined ? a : ORDER.indexOf(to);
    if (a < 0 || b < 0 || part.split('-').length > 2) {
      throw new ScheduleSpecError(
        `--days ${JSON.stringify(days)}: unknown day ${JSON.stringify(part)}; allowed: daily, ${ORDER.join(', ')}, ranges such as mon-fri, lists such as sat,sun`,
      );
    }
    // A range may wrap around the week (fri-mon).
    for (let i = a; ; i = (i + 1) % 7) {
      out.add(DAYS[ORDER[i] as string] as DayOfWeek);
      if (i === b) break;
    }
  }
  return [...out];
}

export function checkTimeZone(tz: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    const some = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Shanghai'];
    throw new ScheduleSpecError(
      `--tz ${JSON.stringify(tz)}: not an IANA time zone; for example ${some.join(', ')} (this machine: ${localTimeZone()})`,
    );
  }
  return tz;
}

export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;

export function checkCron(cron: string): string {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5 || !fields.every((f) => CRON_FIELD.test(f))) {
    throw new ScheduleSpecError(
      `--cron ${JSON.stringify(cron)}: expected five fields "minute hour day-of-month month day-of-week" of numbers, *, ranges, lists and steps, e.g. "0 2 * * *" (02:00 daily) or "30 1 * * 1-5"`,
    );
  }
  return fields.join(' ');
}

/** The schedule's spec: one calendar entry (or a cron expression) in one time zone. */
export function scheduleSpec(o: CalendarOptions): ScheduleSpec {
  const timezone = checkTimeZone(o.tz ?? localTimeZone());
  if (o.cron !== undefined) {
    if (o.at !== undefined || o.days !== undefined) {
      throw new ScheduleSpecError('give either --cron or --at/--days, not both');
    }
    return { cronExpressions: [checkCron(o.cron)], timezone };
  }
  const { hour, minute } = parseTime(o.at ?? '02:00');
  const calendar: CalendarSpec = { hour, minute, dayOfWeek: parseDays(o.days ?? 'daily') };
  return { calendars: [calendar], timezone };
}
