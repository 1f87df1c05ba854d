// Rollout tokens/s through the real engine (runRolloutShard, InferenceClient, least-loaded routing) with
// one embedded server vs a pool of two, in the same run, on the tiny world's default model config
// (1.1M parameters, random weights). The servers are real `python -m autocode_gpu.server` processes,
// started as the gpu worker's pool starts replicas. Threads: each of the two servers gets half of
// --threads-total torch threads (what the pool gives its replicas); the one server runs twice, with all
// of them (the same cores as the pool) and with half (the same threads per process as a replica).
// Runs alternate (one, one-half, two, ...) so a change in the machine's load falls on every setup;
// seeded, so every run must generate the same tokens (checked).
// Usage: npx tsx bench/inference/pool.ts [--queries 24] [--samples 4] [--tokens 64] [--reps 2]
//          [--threads-total <cores>] [--concurrency 64]
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceClient } from '../../engines/rollouts/client';
import { defaultReward } from '../../engines/rollouts/reward';
import { type RolloutQuery, runRolloutShard } from '../../engines/rollouts/shard';
import { type EmbeddedServer, startEmbeddedServer, tinyCheckpoints } from '../../test/inference/servers';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]));
const num = (k: string, d: number) => Number(args.get(k) ?? d);
const cfg = {
  queries: num('queries', 24),
  samples: num('samples', 4),
  tokens: num('tokens', 64),
  reps: num('reps', 2),
  threads_total: num('threads-total', cpus().length),
  concurrency: num('concurrency', 64),
};
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

const queries: RolloutQuery[] = Array.from({ length: cfg.queries }, (_, i) => ({
  query_id: `q${i}`,
  question: `What is ${100 + i} * ${(i % 90) + 10}?`,
  answer: String((100 + i) * ((i % 90) + 10)),
}));
// A random-weight model rarely opens a code block; the executor answers the few it does at once.
const executor = { execute: async () => ({ text: '0' }) };

async function rate(urls: string[]) {
  const client = new InferenceClient({ urls, model: 'policy', concurrency: cfg.concurrency });
  const t0 = performance.now();
  const rows = await runRolloutShard(
    queries,
    { samples: cfg.samples, max_tokens: cfg.tokens, max_rounds: 1, seed: 5 },
    { iteration: 1, policy: 'bench' },
    { generator: client, executor, reward: defaultReward },
  );
  const seconds = (performance.now() - t0) / 1000;
  const stats = client.endpointStats();
  client.close();
  const tokens = rows.reduce((s, r) => s + r.loss_mask.reduce((a: number, m) => a + m, 0), 0);
  return { tokens, seconds, rows: rows.length, served: stats.map((s) => s.served) };
}

const dir = mkdtempSync(join(tmpdir(), 'autocode-bench-pool-'));
const store = join(dir, 'store');
console.log(`config ${JSON.stringify(cfg)}`);
console.log(`load average before: ${load()} (cores: ${cpus().length})`);
const ck = await tinyCheckpoints(store, dir, 'default');
const half = Math.max(1, Math.floor(cfg.threads_total / 2));
const servers: EmbeddedServer[] = [];
try {
  const one = await startEmbeddedServer(ck.a, { port: 17450, threads: cfg.threads_total, store });
  servers.push(one);
  const oneHalf = await startEmbeddedServer(ck.a, { port: 17453, threads: half, store });
  servers.push(oneHalf);
  const two = await Promise.all(
    [17451, 17452].map((port) => startEmbeddedServer(ck.a, { port, threads: half, store })),
  );
  servers.push(...two);
  const setups = { one: [one.url], one_half: [oneHalf.url], two: two.map((s) => s.url) };
  const names = ['one', 'one_half', 'two'] as const;
  console.log(
    `one: 1 server, ${cfg.threads_total} torch threads; one_half: 1 server, ${half}; two: 2 servers, ${half} each`,
  );
  let expected = -1;
  for (const name of names) expected = (await rate(setups[name])).tokens; // warm each (first batches)
  const results: Record<(typeof names)[number], number[]> = { one: [], one_half: [], two: [] };
  for (let rep = 0; rep < cfg.reps; rep++) {
    for (const name of names) {
      const r = await rate(setups[name]);
      if (r.tokens !== expected) throw new Error(`${name} generated ${r.tokens} tokens, not ${expected}`);
      results[name].push(r.tokens / r.seconds);
      console.log(
        `rep ${rep} ${name}: ${r.rows} rows, ${r.tokens} tokens in ${r.seconds.toFixed(2)} s = ` +
          `${Math.round(r.tokens / r.seconds)} tok/s (requests per server: ${r.served.join(', ')})`,
      );
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const [a, h, b] = [median(results.one), median(results.one_half), median(results.two)];
  console.log(
    `RESULT rollout tokens/s: one server (${cfg.threads_total} threads) ${Math.round(a)}, one server ` +
      `(${half}) ${Math.round(h)}, two servers (${half} each) ${Math.round(b)}; ratio two/one ` +
      `${(b / a).toFixed(3)}, two/one_half ${(b / h).toFixed(3)} (median of ${cfg.reps})`,
  );
} finally {
  await Promise.all(servers.map((s) => s.stop()));
}
console.log(`load average after: ${load()}`);
