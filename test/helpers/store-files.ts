// What a store kind holds on disk, part file by part file: for tests that must prove a part was not
// rewritten (same inode, same mtime).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** `<key>/part-NNNNN.parquet` -> `inode:mtime` for every part under `<store>/<kind>`. */
export function partStamps(store: string, kind: string): Map<string, string> {
  const dir = join(store, kind);
  const out = new Map<string, string>();
  if (!existsSync(dir)) return out;
  for (const key of readdirSync(dir)) {
    for (const f of readdirSync(join(dir, key)).filter((x) => x.startsWith('part-'))) {
      const s = statSync(join(dir, key, f));
      out.set(`${key}/${f}`, `${s.ino}:${s.mtimeMs}`);
    }
  }
  return out;
}
