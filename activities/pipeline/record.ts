// The run index under var/runs/<run>/: one JSON per finished node, and the run's report.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PATHS } from '../../infra/paths';
import type { Metrics, NodeResult } from '../../schemas/run';

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

export function runDir(runId: string): string {
  // Run ids may contain '/' (workflow ids); keep one directory per run.
  return join(PATHS.runs, runId.replaceAll('/', '_'));
}

export async function recordNode(input: {
  run_id: string;
  iteration: number;
  result: NodeResult;
}): Promise<string> {
  const dir = join(runDir(input.run_id), `iter-${input.iteration}`);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${input.result.node_id}.json`);
  await writeAtomic(path, `${JSON.stringify(input.result, null, 2)}\n`);
  return path;
}

export interface IterationSummary {
  iteration: number;
  policy: string;
  metrics: Metrics;
  nodes: Record<string, { cached: boolean; metrics: Metrics }>;
}

/** The run's report: a Markdown table of evaluation per iteration (auto beside dictated modes) and JSON. */
export async function writeRunReport(input: {
  run_id: string;
  spec_name: string;
  iterations: IterationSummary[];
}): Promise<string> {
  const dir = runDir(input.run_id);
  await mkdir(dir, { recursive: true });
  const sets = new Set<string>();
  for (const it of input.iterations) {
    for (const k of Object.keys(it.metrics)) {
      const m = /^(.+)\.(cot|code|auto)\.accuracy$/.exec(k);
      if (m?.[1]) sets.add(m[1]);
    }
  }
  const pct = (v: unknown) => (typeof v === 'number' ? `${(v * 100).toFixed(1)}` : '-');
  const lines = [`# Run ${input.run_id} (${input.spec_name})`, ''];
  for (const set of [...sets].sort()) {
    lines.push(
      `## ${set}`,
      '',
      '| iteration | cot | code | auto | auto code rate | auto - best dictated |',
      '|---|---|---|---|---|---|',
    );
    for (const it of input.iterations) {
      const a = (mode: string) => it.metrics[`${set}.${mode}.accuracy`];
      const [cot, code, auto] = [a('cot'), a('code'), a('auto')];
      const best = typeof cot === 'number' && typeof code === 'number' ? Math.max(cot, code) : undefined;
      const gain = typeof auto === 'number' && best !== undefined ? pct(auto - best) : '-';
      lines.push(
        `| ${it.iteration} | ${pct(cot)} | ${pct(code)} | ${pct(auto)} | ${pct(it.metrics[`${set}.auto.code_rate`])} | ${gain} |`,
      );
    }
    lines.push('');
  }
  lines.push('Accuracy is greedy Pass@1 in percent; iteration 0 is the starting policy.', '');
  const md = join(dir, 'report.md');
  await writeAtomic(md, lines.join('\n'));
  await writeAtomic(join(dir, 'report.json'), `${JSON.stringify(input, null, 2)}\n`);
  return md;
}
