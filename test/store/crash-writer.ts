// Child process of crash.test.ts: writes a 4-part rollouts dataset, skipping parts already on disk,
// slowly (a pause after each row group) so the parent can SIGKILL it mid-part.
// Usage: node --import tsx test/store/crash-writer.ts <root> <key> <pauseMs>
import { openWriter } from '../../engines/store';
import type { Row } from '../../schemas/datasets';
import { PRODUCER, rng, rolloutRow } from './fixtures';

const [root, key, pauseArg] = process.argv.slice(2) as [string, string, string];
const PARTS = 4;
const PER_PART = 300;
const pause = Number(pauseArg);

export function partRows(part: number): Row[] {
  const r = rng(1000 + part);
  return Array.from({ length: PER_PART }, (_, i) => rolloutRow(r, part * PER_PART + i));
}

async function* slowly(rows: Row[], part: number): AsyncGenerator<Row> {
  for (let i = 0; i < rows.length; i++) {
    if (i > 0 && i % 100 === 0) {
      console.log(`part ${part} row ${i}`);
      await new Promise((res) => setTimeout(res, pause));
    }
    yield rows[i] as Row;
  }
}

const w = openWriter({
  kind: 'rollouts',
  key,
  producer: PRODUCER,
  params: { crash: true },
  root,
  rowGroupRows: 100,
});
const have = new Set(await w.existingParts());
for (let part = 0; part < PARTS; part++) {
  if (have.has(part)) continue;
  await w.writePart(part, slowly(partRows(part), part));
  console.log(`part ${part} done`);
}
const ref = await w.finish(PARTS);
console.log(`finished ${JSON.stringify(ref)}`);
