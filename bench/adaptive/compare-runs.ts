// Two finished runs side by side, from their run index (var/runs/<id>/iter-<k>/<node>.json) and the
// store: rollouts spent per iteration (samples, generated tokens, code executions, by mode), every
// per-query reference decision and estimate, the synthesized set, and every evaluation metric.
//
//   AUTOCODE_VAR=var/h-perf-1 npx tsx bench/adaptive/compare-runs.ts <run A> <run B>
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRows } from '../../engines/store/reader';
import { PATHS } from '../../infra/paths';
import type { NodeResult } from '../../schemas/run';

type Nodes = Map<string, NodeResult>;

function iterations(run: string): Map<number, Nodes> {
  const dir = join(PATHS.runs, run);
  if (!existsSync(dir)) throw new Error(`no run index at ${dir} (set AUTOCODE_VAR to the run's var dir)`);
  const out = new Map<number, Nodes>();
  for (const d of readdirSync(dir)) {
    const m = /^iter-(\d+)$/.exec(d);
    if (!m) continue;
    const nodes: Nodes = new Map();
    for (const f of readdirSync(join(dir, d)).filter((x) => x.endsWith('.json'))) {
      const r = JSON.parse(readFileSync(join(dir, d, f), 'utf8')) as NodeResult;
      nodes.set(r.node_id, r);
    }
    out.set(Number(m[1]), nodes);
  }
  return out;
}

interface Spend {
  samples: number;
  tokens: number;
  code_calls: number;
  sandbox_runs: number;
}

async function spend(nodes: Nodes): Promise<Record<string, Spend>> {
  const by: Record<string, Spend> = {};
  for (const r of nodes.values()) {
    if (r.uses !== 'rollouts' || !r.dataset) continue;
    const rows = (await readRows(r.dataset, { columns: ['mode', 'loss_mask', 'code_calls'] })) as {
      mode: string;
      loss_mask: number[];
      code_calls: number;
    }[];
    for (const x of rows) {
      by[x.mode] ??= { samples: 0, tokens: 0, code_calls: 0, sandbox_runs: 0 };
      const s = by[x.mode] as Spend;
      s.samples++;
      // Generated tokens: the model's own (tool output tokens have loss_mask 0).
      for (const v of x.loss_mask) s.tokens += v;
      s.code_calls += x.code_calls;
    }
    // Executions that reached the sandbox (the execution cache answers repeats), per node.
    const misses = r.metrics['exec_cache.misses'];
    if (typeof misses === 'number') {
      by._sandbox ??= { samples: 0, tokens: 0, code_calls: 0, sandbox_runs: 0 };
      (by._sandbox as Spend).sandbox_runs += misses;
    }
  }
  return by;
}

interface Est {
  query_id: string;
  decision: string;
  q_cot: number | null;
  q_code: number | null;
  n_cot: number;
  n_code: number;
}

async function estimates(nodes: Nodes): Promise<Map<string, Est>> {
  const r = [...nodes.values()].find((n) => n.uses === 'estimate');
  if (!r?.dataset) return new Map();
  const rows = (await readRows(r.dataset)) as unknown as Est[];
  return new Map(rows.map((e) => [e.query_id, e]));
}

const num = (v: unknown) => (typeof v === 'number' ? v : null);

async function main() {
  const [a, b] = process.argv.slice(2);
  if (!a || !b) throw new Error('usage: compare-runs.ts <run A> <run B>');
  const A = iterations(a);
  const B = iterations(b);
  console.log(`A = ${a}\nB = ${b}\n`);
  const ks = [...new Set([...A.keys(), ...B.keys()])].sort((x, y) => x - y);
  let metricDiffs = 0;
  for (const k of ks) {
    const na = A.get(k) ?? new Map();
    const nb = B.get(k) ?? new Map();
    console.log(`== iteration ${k}`);
    if (k > 0) {
      const [sa, sb] = [await spend(na), await spend(nb)];
      for (const mode of [...new Set([...Object.keys(sa), ...Object.keys(sb)])].sort()) {
        const x = sa[mode];
        const y = sb[mode];
        if (mode === '_sandbox') {
          console.log(
            `  sandbox runs (execution-cache misses): A ${x?.sandbox_runs ?? 0}, B ${y?.sandbox_runs ?? 0}`,
          );
          continue;
        }
        const d = (p: keyof Spend) => {
          const u = x?.[p] ?? 0;
          const v = y?.[p] ?? 0;
          return `${u} → ${v}${u ? ` (${(((v - u) / u) * 100).toFixed(1)}%)` : ''}`;
        };
        console.log(
          `  ${mode.padEnd(14)} samples ${d('samples')}; generated tokens ${d('tokens')}; code executions ${d('code_calls')}`,
        );
      }
      const [ea, eb] = [await estimates(na), await estimates(nb)];
      let dec = 0;
      let qdiff = 0;
      let dq = 0;
      const flips: string[] = [];
      for (const [id, x] of ea) {
        const y = eb.get(id);
        if (!y) continue;
        if (x.decision !== y.decision) {
          dec++;
          if (flips.length < 5)
            flips.push(
              `${id}: ${x.decision}→${y.decision} (Q ${x.q_cot}/${x.q_code} → ${y.q_cot}/${y.q_code})`,
            );
        }
        if (x.q_cot !== y.q_cot || x.q_code !== y.q_code) qdiff++;
        dq += Math.abs((x.q_cot ?? 0) - (y.q_cot ?? 0)) + Math.abs((x.q_code ?? 0) - (y.q_code ?? 0));
      }
      const cot = (m: Map<string, Est>) => [...m.values()].filter((e) => e.decision === 'cot').length;
      console.log(
        `  estimate: ${ea.size} queries; decisions cot A ${cot(ea)} / B ${cot(eb)}; decisions that differ ${dec}; estimates (Q) that differ ${qdiff}; mean |ΔQ| ${(dq / (2 * Math.max(1, ea.size))).toFixed(4)}`,
      );
      for (const f of flips) console.log(`    ${f}`);
      const syn = (n: Nodes) => [...n.values()].find((r) => r.uses === 'synthesize')?.metrics ?? {};
      const [ya, yb] = [syn(na), syn(nb)];
      console.log(
        `  synthesize: samples ${ya.samples} → ${yb.samples}; exploratory ${ya.exploratory} → ${yb.exploratory}; reflective ${ya.reflective} → ${yb.reflective}; queries kept ${ya.queries_kept} → ${yb.queries_kept}`,
      );
    }
    const ev = (n: Nodes) => [...n.values()].find((r) => r.uses === 'evaluate')?.metrics ?? {};
    const [ma, mb] = [ev(na), ev(nb)];
    const keys = [...new Set([...Object.keys(ma), ...Object.keys(mb)])].sort();
    const diff = keys.filter((key) => num(ma[key]) !== num(mb[key]));
    metricDiffs += k === ks.at(-1) ? diff.length : 0;
    console.log(`  evaluate: ${keys.length} metrics, ${diff.length} differ`);
    for (const key of keys.filter(
      (x) => /^tiny_world\.(cot|code|auto)\.|^tiny_world\.selection|mAcc|align/i.test(x) || diff.includes(x),
    )) {
      const u = num(ma[key]);
      const v = num(mb[key]);
      console.log(
        `    ${key.padEnd(44)} A ${u ?? '-'}  B ${v ?? '-'}${u !== v ? `  Δ ${u !== null && v !== null ? (v - u).toFixed(4) : '?'}` : ''}`,
      );
    }
  }
  console.log(
    `\nfinal evaluation: ${metricDiffs === 0 ? 'every metric the same' : `${metricDiffs} metrics differ`}`,
  );
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
