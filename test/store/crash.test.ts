import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { entryDir, lookup, openWriter, readRows, verify } from '../../engines/store';
import { ROOT } from '../../infra/paths';
import { keyFor, PRODUCER, rng, rolloutRow, tempStore } from './fixtures';

const store = tempStore();
afterAll(() => store.cleanup());
const SCRIPT = join(ROOT, 'test', 'store', 'crash-writer.ts');

function startWriter(
  key: string,
  pauseMs: number,
): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, store.root, key, String(pauseMs)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (d: string) => lines.push(...d.trim().split('\n')));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return { child, lines, exited };
}

async function waitFor(lines: string[], pattern: RegExp, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!lines.some((l) => pattern.test(l))) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${pattern}; saw ${lines.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('a writer killed mid-dataset', () => {
  it('leaves no finished entry and no partial file in any manifest; a rerun finishes it', async () => {
    const key = keyFor({ crash: true });
    const dir = entryDir('rollouts', key, store.root);
    const first = startWriter(key, 400);
    // Parts 0 and 1 complete, part 2 has row groups in flight: kill it there.
    await waitFor(first.lines, /^part 2 row 200$/);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(first.child.signalCode).toBe('SIGKILL');

    expect(await lookup('rollouts', key, store.root)).toBeNull();
    const afterKill = readdirSync(dir);
    expect(afterKill).not.toContain('_manifest.json');
    expect(afterKill.filter((n) => n.startsWith('part-')).sort()).toEqual([
      'part-00000.parquet',
      'part-00001.parquet',
    ]);
    expect(afterKill.some((n) => n.startsWith('.tmp-part-00002'))).toBe(true);
    const writer = openWriter({
      kind: 'rollouts',
      key,
      producer: PRODUCER,
      params: { crash: true },
      root: store.root,
    });
    expect(await writer.existingParts()).toEqual([0, 1]);
    await expect(writer.finish(4)).rejects.toMatchObject({ type: 'MissingPart', nonRetryable: true });

    const second = startWriter(key, 0);
    expect(await second.exited).toBe(0);
    // The rerun wrote only the missing parts.
    expect(second.lines.filter((l) => / done$/.test(l))).toEqual(['part 2 done', 'part 3 done']);

    const ref = await lookup('rollouts', key, store.root);
    expect(ref?.rows).toBe(1200);
    const manifest = JSON.parse(readFileSync(join(dir, '_manifest.json'), 'utf8'));
    expect(manifest.files.map((f: { path: string }) => f.path)).toEqual(
      [0, 1, 2, 3].map((i) => `part-0000${i}.parquet`),
    );
    expect(readdirSync(dir).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
    expect(await verify(ref as NonNullable<typeof ref>)).toEqual(ref);
    const expected = [0, 1, 2, 3].flatMap((part) => {
      const r = rng(1000 + part);
      return Array.from({ length: 300 }, (_, i) => rolloutRow(r, part * 300 + i));
    });
    expect(await readRows(ref as NonNullable<typeof ref>)).toEqual(expected);
  });
});
