// Runs Python snippets with the project's venv against this checkout's gpu/src.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, TOOLS } from '../../infra/paths';

export function python(code: string, args: string[] = []): string {
  const res = spawnSync(TOOLS.python, ['-c', code, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: join(ROOT, 'gpu', 'src') },
    timeout: 60_000,
  });
  if (res.status !== 0) throw new Error(`python failed (${res.status}): ${res.stderr}`);
  return res.stdout;
}
