// Token throughput through the rollout engine vs the same server driven by a plain load generator
// (bench/rollouts/load-generator.ts) with the same completion requests at the same concurrency.
// The server is the protocol test server in a child process, with a per-token delay standing in for
// decode time. Scenarios: `cot` (one round per response: the replay is the same prompts, n = K) and
// `tools` (a code round, an output block, a second round: the replay sends the engine's requests
// without the dependency between rounds, so it is an upper bound the engine cannot quite reach).
// Usage: npx tsx bench/rollouts/throughput.ts [--queries 64] [--samples 8] [--tokens 128]
//          [--delay-ms 1] [--concurrency 16] [--reps 3] [--scenarios cot,tools]
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { InferenceClient } from '../../engines/rollouts/client';
import { defaultReward } from '../../engines/rollouts/reward';
import { type RolloutQuery, runRolloutShard } from '../../engines/rollouts/shard';
import type { Generator } from '../../engines/rollouts/tool-loop';
import { ROOT, TOOLS } from '../../infra/paths';
import { drive } from './load-generator';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(String(process.argv[i]).replace(/^--/, ''), String(process.argv[i + 1]));
const num = (k: string, d: number) => Number(args.get(k) ?? d);
const cfg = {
  queries: num('queries', 64),
  samples: num('samples', 8),
  tokens: num('tokens', 128),
  delay_ms: num('delay-ms', 1),
  concurrency: num('concurrency', 16),
  reps: num('reps', 3),
  scenarios: (args.get('scenarios') ?? 'cot,tools').split(','),
};

async function startServer(scenario: string) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      TOOLS.tsxLoader,
      'bench/rollouts/serve.ts',
      scenario,
      String(cfg.tokens),
      String(cfg.delay_ms),
    ],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench server exited (${code})`)));
  });
  return { url: (JSON.parse(line) as { url: string }).url, stop: () => child.stdin.end() };
}

/** Wraps the client to keep the completion bodies it sends (the load generator replays them). */
function recording(client: InferenceClient, bodies: unknown[]): Generator {
  return {
    get maxModelLen() {
      return client.maxModelLen;
    },
    tokenize: (text, special) => client.tokenize(text, special),
    tokenizeChat: (messages) => client.tokenizeChat(messages),
    complete(req, opts) {
      bodies.push({
        ...req,
        model: client.config.model,
        logprobs: 0,
        return_token_ids: true,
        include_stop_str_in_output: true,
      });
      return client.complete(req, opts);
    },
  };
}

const queries: RolloutQuery[] = Array.from({ length: cfg.queries }, (_, i) => ({
  query_id: `q${i}`,
  question: `What is ${i} + ${5 - i}?`,
  answer: '5',
}));

async function runEngine(url: string, bodies: unknown[] | null) {
  const client = new InferenceClient({ urls: [url], model: 'scripted', concurrency: cfg.concurrency });
  const generator = bodies ? recording(client, bodies) : client;
  const executor = { execute: async () => ({ text: '5' }) };
  const t0 = performance.now();
  const rows = await runRolloutShard(
    queries,
    { modes: ['native'], samples: cfg.samples, max_tokens: cfg.tokens + 64 },
    { iteration: 0, policy: 'bench' },
    { generator, executor, reward: defaultReward },
  );
  const seconds = (performance.now() - t0) / 1000;
  client.close();
  const tokens = rows.reduce((s, r) => s + r.loss_mask.reduce((a: number, m) => a + m, 0), 0);
  if (rows.some((r) => r.reward !== 1))
    throw new Error('bench policy answered wrong: the engine mis-assembled a response');
  return { completion_tokens: tokens, seconds, requests: client.stats.requests };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

console.log(`config ${JSON.stringify(cfg)}`);
console.log(`load average before: ${load()} (cores: ${(await import('node:os')).cpus().length})`);
for (const scenario of cfg.scenarios) {
  const server = await startServer(scenario);
  try {
    const bodies: unknown[] = [];
    const warm = await runEngine(server.url, bodies);
    const engine: number[] = [];
    const direct: number[] = [];
    const cpu = { engine: 0, direct: 0 };
    for (let rep = 0; rep < cfg.reps; rep++) {
      let c0 = process.cpuUsage();
      const e = await runEngine(server.url, null);
      let c1 = process.cpuUsage(c0);
      cpu.engine += (c1.user + c1.system) / 1000;
      c0 = process.cpuUsage();
      const d = await drive(server.url, bodies, cfg.concurrency);
      c1 = process.cpuUsage(c0);
      cpu.direct += (c1.user + c1.system) / 1000;
      if (d.completion_tokens !== e.completion_tokens) {
        throw new Error(`token counts differ: engine ${e.completion_tokens}, direct ${d.completion_tokens}`);
      }
      engine.push(e.completion_tokens / e.seconds);
      direct.push(d.completion_tokens / d.seconds);
      console.log(
        `${scenario} rep ${rep}: engine ${Math.round(engine[rep] as number)} tok/s (${e.seconds.toFixed(2)} s), ` +
          `direct ${Math.round(direct[rep] as number)} tok/s (${d.seconds.toFixed(2)} s)`,
      );
    }
    const ratio = median(engine) / median(direct);
    console.log(
      `RESULT ${scenario}: ${warm.completion_tokens} completion tokens, ${bodies.length} completion requests ` +
        `(+${warm.requests - bodies.length} tokenize); engine ${Math.round(median(engine))} tok/s, ` +
        `direct ${Math.round(median(direct))} tok/s, ratio ${ratio.toFixed(3)} (median of ${cfg.reps}); ` +
        `client CPU per 1k tokens: engine ${((cpu.engine / cfg.reps / warm.completion_tokens) * 1000).toFixed(2)} ms, ` +
        `direct ${((cpu.direct / cfg.reps / warm.completion_tokens) * 1000).toFixed(2)} ms`,
    );
  } finally {
    server.stop();
  }
}
console.log(`load average after: ${load()}`);
