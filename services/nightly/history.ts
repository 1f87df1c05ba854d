// A schedule's nights, var/nightly/<schedule>/history.json: read whole, rewritten atomically (one
// schedule runs one night at a time: its overlap policy skips).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { writeAtomic } from '../../engines/store/atomic';
import { PATHS } from '../../infra/paths';
import { NightlyRecord } from '../../schemas/nightly';

export function nightlyDir(schedule: string): string {
  return join(PATHS.nightly, schedule.replaceAll('/', '_'));
}

export function historyPath(schedule: string): string {
  return join(nightlyDir(schedule), 'history.json');
}

export async function readHistory(schedule: string): Promise<NightlyRecord[]> {
  const path = historyPath(schedule);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw corrupt(path, (err as Error).message);
  }
  const checked = z.array(NightlyRecord).safeParse(parsed);
  if (!checked.success) throw corrupt(path, checked.error.issues[0]?.message ?? 'invalid');
  return checked.data;
}

export async function writeHistory(schedule: string, records: readonly NightlyRecord[]): Promise<void> {
  const path = historyPath(schedule);
  await writeAtomic(path, `${JSON.stringify(records, null, 2)}\n`);
}

function corrupt(path: string, why: string): ApplicationFailure {
  return ApplicationFailure.create({
    message: `nightly history ${path} is not a valid history (${why}): fix or move it away`,
    type: 'InvalidInput',
    nonRetryable: true,
  });
}
