// kill -9 of the TypeScript worker in the middle of a sharded rollouts activity: Temporal retries it
// on a new worker, which skips the shards already on disk. No (query, mode, sample) is missing or
// duplicated, and no finished shard is written again.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRows } from '../../engines/store/reader';
import { writeDataset } from '../../engines/store/writer';
import type { ResolvedNode } from '../../pipelines/validate';
import { RolloutsParams } from '../../schemas/nodes';
import { TASK_QUEUES } from '../../schemas/queues';
import type { IterationInput, IterationResult } from '../../workflows/iteration';
import { type CompletionsServer, startCompletionsServer } from '../helpers/completions-server';
import { spawnCpuWorker, startTestServer, stopProcess, type TestServer } from '../helpers/stack';
import { partStamps } from '../helpers/store-files';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const QUERIES = 20;

describe('rollouts survive kill -9 of the TypeScript worker', { timeout: 240_000 }, () => {
  let server: TestServer;
  let model: CompletionsServer;
  let store: string;
  let env: NodeJS.ProcessEnv;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    // A scripted policy that writes a program, then answers from its output; 15 ms per token.
    model = await startCompletionsServer({
      tokenDelayMs: 15,
      script: ({ prompt }) => {
        const [, a, b] = /What is (\d+) \+ (\d+)\?/.exec(prompt) ?? [];
        if (!prompt.includes('```output')) return `\`\`\`python\nprint(${a} + ${b})\n\`\`\`\n\`\`\`output`;
        return ` The answer is \\boxed{${Number(a) + Number(b)}}.`;
      },
    });
    const varDir = mkdtempSync(join(tmpdir(), 'autocode-kill-'));
    store = join(varDir, 'store');
    env = { AUTOCODE_VAR: varDir, AUTOCODE_STORE: store, AUTOCODE_SANDBOX_SIZE: '1' };
    // The workers' refs name entries relative to their store root: this process opens them there too.
    process.env.AUTOCODE_STORE = store;
  });
  afterAll(async () => {
    for (const w of workers) await stopProcess(w);
    await model?.close();
    await server?.stop();
  });

  it('resumes from the shards on disk with every (query, sample) exactly once', async () => {
    const rows = Array.from({ length: QUERIES }, (_, i) => ({
      query_id: `q${i}`,
      source: 'test/add',
      question: `What is ${10 + i} + ${i % 9}?`,
      answer: String(10 + i + (i % 9)),
      split: 'test',
      meta: null,
    }));
    const train = await writeDataset(
      {
        kind: 'queries',
        key: 'a'.repeat(64),
        producer: { activity: 'test', version: '1' },
        params: {},
        root: store,
      },
      rows,
    );
    const node: ResolvedNode = {
      id: 'rollouts_code',
      uses: 'rollouts',
      needs: [],
      with: {},
      params: RolloutsParams.parse({
        modes: ['dictated_code'],
        samples: 2,
        shard_size: 2,
        max_tokens: 64,
        max_rounds: 2,
      }),
      output: 'rollouts',
      queue: 'cpu',
    };
    const input: IterationInput = {
      run_id: 'kill',
      iteration: 1,
      seed: 0,
      nodes: [node],
      policy: { uri: '/scripted', key: 'b'.repeat(64) },
      inference: {
        urls: [model.url],
        model: 'scripted',
        concurrency: 8,
        timeout_ms: 30_000,
        attempts: 3,
        backoff_ms: 100,
        backoff_max_ms: 1000,
      },
      serve: { endpoints: { urls: [model.url], model: 'scripted', max_concurrency: 8 } },
      train,
      eval: [],
    };
    const first = spawnCpuWorker(server.address, 'kill-cpu-1', env);
    workers.push(first);
    const handle = await server.client.workflow.start('iteration', {
      taskQueue: TASK_QUEUES.cpu,
      workflowId: 'kill-rollouts',
      args: [input],
    });

    // Kill once some shards, but not all, are on disk. The deadline covers the worker's start
    // (bundling the workflows takes tens of seconds on a loaded 2-core machine).
    let before = new Map<string, string>();
    for (const deadline = Date.now() + 150_000; Date.now() < deadline; ) {
      before = partStamps(store, 'rollouts');
      if (before.size >= 2) break;
      await sleep(50);
    }
    const killedAt = Date.now();
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    before = partStamps(store, 'rollouts');
    expect(before.size).toBeGreaterThanOrEqual(2);
    expect(before.size).toBeLessThan(QUERIES / 2);

    workers.push(spawnCpuWorker(server.address, 'kill-cpu-2', env));
    const result = (await handle.result()) as IterationResult;
    const ref = result.results.rollouts_code!.dataset!;
    const out = await readRows(ref, { columns: ['query_id', 'mode', 'sample', 'reward', 'code_calls'] });
    const keys = out.map((r) => `${r.query_id}/${r.mode}/${r.sample}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(keys)).toEqual(
      new Set(rows.flatMap((q) => [0, 1].map((s) => `${q.query_id}/dictated_code/${s}`))),
    );
    expect(out.every((r) => r.reward === 1 && r.code_calls === 1)).toBe(true);
    // Shards finished before the kill were kept as they were.
    const after = partStamps(store, 'rollouts');
    for (const [name, stamp] of before) expect(after.get(name)).toBe(stamp);
    expect(after.size).toBe(QUERIES / 2);
    // The retry ran on the second worker.
    const history = await handle.fetchHistory();
    const childStarts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes);
    const retry = childStarts.find((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 0) >= 2);
    expect(retry).toBeDefined();
    // With the product's heartbeat timeout (20 s; no test override) the work resumed within it, the
    // retry's backoff and the new worker's start (it bundles the workflows first).
    const resumedAt = optionalTsToMs(retry?.eventTime) ?? 0;
    const stall = (resumedAt - killedAt) / 1000;
    console.log(`rollouts-kill: work resumed ${stall.toFixed(1)} s after the kill`);
    expect(stall).toBeGreaterThan(0);
    expect(stall).toBeLessThan(60);
  });
});
