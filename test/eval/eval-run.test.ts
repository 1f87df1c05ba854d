// evalRun end to end on a real dev server with the real workers (child processes, as the supervisor
// runs them): a scripted policy whose every metric is known by construction, a tiny checkpoint served
// by the Python worker and found as the last policy of a recorded run (cached on a second run), and
// bad input that fails at once without writing to the store.
import { type ChildProcess, execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyWorldQueries } from '../../datasets/tiny-world/generate';
import { readRows } from '../../engines/store/reader';
import { ROOT, TOOLS } from '../../infra/paths';
import type { EvalProgress } from '../../schemas/progress';
import { TASK_QUEUES } from '../../schemas/queues';
import type { EvalRunInput, EvalRunResult } from '../../workflows/eval-run';
import { type CompletionsServer, startCompletionsServer } from '../helpers/completions-server';
import { scriptedTinyPolicy } from '../helpers/scripted-tiny-policy';
import {
  spawnCpuWorker,
  spawnGpuWorker,
  startTestServer,
  stopProcess,
  type TestServer,
} from '../helpers/stack';
import { partStamps } from '../helpers/store-files';

const run = promisify(execFile);
const PER_FAMILY = 3;

/** A random-weights tiny checkpoint in the store (seconds): what the policy worker serves. */
const MAKE_CHECKPOINT = `
import json, sys
from autocode_gpu.checkpoint import save_checkpoint
from autocode_gpu.store import content_key, entry_dir
from autocode_gpu.tiny import tiny_model, train_tokenizer
texts = [f"User: What is {a} + {b}? Let's write a program.\\nAssistant: \`\`\`python\\nprint({a} + {b})\\n\`\`\`" for a in range(10, 60) for b in range(1, 9)]
tok = train_tokenizer(texts, 300)
model = tiny_model(tok, {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64, "max_position_embeddings": 256})
dest = entry_dir("checkpoints", content_key("test_fixture", "1", {"name": "eval-run"}))
ref = save_checkpoint(model, tok, dest, producer={"activity": "test_fixture", "version": "1"}, params={})
print(json.dumps(ref))
`;

describe('evalRun', { timeout: 300_000 }, () => {
  let server: TestServer;
  let model: CompletionsServer;
  let varDir: string;
  let store: string;
  let cpu: ChildProcess;
  let gpu: ChildProcess;
  let checkpoint: { uri: string; key: string };

  beforeAll(async () => {
    server = await startTestServer();
    varDir = mkdtempSync(join(tmpdir(), 'autocode-eval-'));
    store = join(varDir, 'store');
    const env = { AUTOCODE_VAR: varDir, AUTOCODE_STORE: store, AUTOCODE_SANDBOX_SIZE: '1' };
    // The workers' refs name entries relative to their store root: this process opens them there too.
    process.env.AUTOCODE_STORE = store;
    cpu = spawnCpuWorker(server.address, 'eval-cpu', env);
    gpu = spawnGpuWorker(server.address, 'eval-gpu', env);
    const made = await run(TOOLS.python, ['-c', MAKE_CHECKPOINT], {
      cwd: ROOT,
      env: { ...process.env, ...env, OMP_NUM_THREADS: '1' },
    });
    const ref = JSON.parse(made.stdout.trim().split('\n').at(-1) as string) as { uri: string; key: string };
    checkpoint = { uri: ref.uri, key: ref.key };

    // The scripted policy whose every metric is known (test/helpers/scripted-tiny-policy.ts).
    const queries = tinyWorldQueries({ seed: 3, per_family: PER_FAMILY, split: 'test' });
    model = await startCompletionsServer({ script: scriptedTinyPolicy(queries) });
  });
  afterAll(async () => {
    await model?.close();
    if (gpu) await stopProcess(gpu);
    if (cpu) await stopProcess(cpu);
    await server?.stop();
  });

  const start = (id: string, input: EvalRunInput) =>
    server.client.workflow.start('evalRun', { taskQueue: TASK_QUEUES.cpu, workflowId: id, args: [input] });

  it('computes every metric of a policy whose behaviour is known', async () => {
    const handle = await start('eval-scripted', {
      checkpoint: checkpoint.uri,
      benchmarks: ['tiny_world'],
      tiny_world: { per_family: PER_FAMILY },
      selection_labels: 2,
      inference: { endpoints: { urls: [model.url], model: 'scripted', max_concurrency: 8, reload: false } },
    });
    const r = (await handle.result()) as EvalRunResult;
    const m = r.metrics;
    // 12 queries, 3 per family. cot right on pick + compare = 6/12; code right everywhere;
    // auto right where it writes code (add, compare) or where prose is right (pick) = 9/12.
    expect(m['tiny_world.cot.accuracy']).toBe(0.5);
    expect(m['tiny_world.code.accuracy']).toBe(1);
    expect(m['tiny_world.auto.accuracy']).toBe(0.75);
    expect(m['tiny_world.auto.gain']).toBe(-0.25); // 0.75 - max(0.5, 1)
    expect([
      m['tiny_world.cot.code_rate'],
      m['tiny_world.code.code_rate'],
      m['tiny_world.auto.code_rate'],
    ]).toEqual([0, 1, 0.5]);
    expect(m['tiny_world/mul.auto.accuracy']).toBe(0);
    expect(m['tiny_world/pick.auto.accuracy']).toBe(1);
    // Labels (k = 2, the script ignores temperature): add, mul -> code (1 vs 0); pick, compare -> tie.
    // Choices: add code, mul cot, pick cot, compare code.
    expect(m['tiny_world.selection.n']).toBe(12);
    expect(m['tiny_world.selection.acc_code']).toBe(0.5); // add right, mul wrong
    expect(m['tiny_world.selection.acc_cot']).toBeNull(); // no query is better in prose
    expect(m['tiny_world.selection.macc']).toBe(0.5);
    expect(m['tiny_world.selection.acc_within_correct']).toBe(1); // add: chose code, right
    // Alignment over the 9 correct auto responses (mul's 3 are wrong). Oracle: add, mul -> code (cot
    // 0/2 cannot, code 2/2 can); pick, compare -> cot (both can). add chose code = oracle, pick chose
    // cot = oracle: 6/9 StrictAlign; compare chose code where both can: 3/9 AllowCode; none MisAlign.
    expect(m['tiny_world.selection.align_n']).toBe(9);
    expect(m['tiny_world.selection.strict_align']).toBe(0.6667);
    expect(m['tiny_world.selection.allow_code']).toBe(0.3333);
    expect(m['tiny_world.selection.mis_align']).toBe(0);
    expect(m['tiny_world.selection.confusion.code.cot']).toBe(3);

    expect(Object.keys(r.results)).toEqual(['tiny_world']);
    const rows = await readRows(r.results.tiny_world!, { columns: ['mode', 'policy'] });
    expect(rows).toHaveLength(12 * 3);
    expect(new Set(rows.map((x) => x.policy))).toEqual(new Set([checkpoint.key]));
    const summary = await readRows(r.summary);
    expect(summary.find((s) => s.benchmark === 'tiny_world' && s.mode === 'auto')).toMatchObject({
      n: 12,
      correct: 9,
    });
    const saved = JSON.parse(readFileSync(r.report, 'utf8')) as EvalRunResult & {
      selection: Record<string, unknown>;
    };
    expect(saved.metrics).toEqual(m);
    // k samples per query and dictated mode, kept as rollouts.
    const samples = await readRows(saved.selection.tiny_world as never, { columns: ['mode', 'sample'] });
    expect(samples).toHaveLength(12 * 2 * 2);
    const md = readFileSync(join(r.report, '..', 'report.md'), 'utf8');
    expect(md).toContain('### tiny_world\n\n| checkpoint | cot | code | auto |');
    expect(md).toContain('| 0 | 50.0 | 100.0 | 75.0 |');
    expect(md).toContain('StrictAlign');
    expect(readFileSync(join(r.report, '..', 'report.html'), 'utf8')).toContain('echarts');

    const desc = await handle.describe();
    expect(desc.searchAttributes.AutocodeRunId).toEqual(['eval-scripted']);
    expect(desc.searchAttributes.AutocodeStage).toEqual(['done']);
    const progress = await handle.query<EvalProgress>('progress');
    expect(progress.benchmarks).toEqual({ tiny_world: 'done' });
  });

  it("evaluates a run's last checkpoint on the policy worker; a second evaluation is all cache", async () => {
    // A run index as emRun leaves it: iteration 0 evaluated, iteration 1's update produced the checkpoint.
    const runDir = join(varDir, 'runs', 'em-x');
    mkdirSync(join(runDir, 'iter-0'), { recursive: true });
    mkdirSync(join(runDir, 'iter-1'), { recursive: true });
    writeFileSync(
      join(runDir, 'iter-0', 'evaluate.json'),
      JSON.stringify({ node_id: 'evaluate', checkpoint: null }),
    );
    writeFileSync(join(runDir, 'iter-1', 'update.json'), JSON.stringify({ node_id: 'update', checkpoint }));
    const input: EvalRunInput = {
      checkpoint: 'latest:em-x',
      benchmarks: ['tiny_world'],
      tiny_world: { per_family: 1 },
      selection_labels: 1,
      max_tokens: 16,
    };
    const first = (await (await start('eval-tiny-1', input)).result()) as EvalRunResult;
    expect(first.checkpoint).toEqual(checkpoint);
    const rows = await readRows(first.results.tiny_world!, { columns: ['query_id', 'mode', 'policy'] });
    expect(rows).toHaveLength(4 * 3);
    expect(rows.every((x) => x.policy === checkpoint.key)).toBe(true);
    expect(first.metrics['tiny_world.selection.n']).toBe(4);
    // A random policy may get nothing right: then there is no split (all null), else it sums to 1.
    const split = ['strict_align', 'allow_code', 'mis_align'].map(
      (k) => first.metrics[`tiny_world.selection.${k}`] as number | null,
    );
    if (first.metrics['tiny_world.selection.align_n'] === 0) expect(split).toEqual([null, null, null]);
    else expect((split as number[]).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);

    const before = new Map([...partStamps(store, 'eval_results'), ...partStamps(store, 'rollouts')]);
    const again = await start('eval-tiny-2', input);
    const second = (await again.result()) as EvalRunResult;
    expect(second.metrics).toEqual(first.metrics);
    expect((await again.query<EvalProgress>('progress')).benchmarks).toEqual({ tiny_world: 'cached' });
    expect(new Map([...partStamps(store, 'eval_results'), ...partStamps(store, 'rollouts')])).toEqual(before);
  });

  it('fails at once on an unknown benchmark or a missing checkpoint, writing nothing to the store', async () => {
    const entries = () =>
      existsSync(store)
        ? readdirSync(store, { withFileTypes: true })
            .filter((k) => k.isDirectory()) // the root's .autocode-store marker is a file
            .flatMap((k) => readdirSync(join(store, k.name)).map((e) => `${k.name}/${e}`))
        : [];
    const before = entries().sort();
    const failure = async (id: string, input: EvalRunInput): Promise<string> => {
      const err = await (await start(id, input)).result().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      // The activity's failure, not retried.
      const cause = (err as WorkflowFailedError).cause?.cause as { message: string; nonRetryable: boolean };
      expect(cause.nonRetryable).toBe(true);
      return cause.message;
    };
    const unknown = await failure('eval-bad-1', {
      checkpoint: checkpoint.uri,
      benchmarks: ['tiny_world', 'gsm9k'],
    });
    expect(unknown).toContain('unknown benchmark "gsm9k"');
    expect(unknown).toContain('gsm8k, math');
    expect(unknown).toContain('tiny_world');

    const missing = await failure('eval-bad-2', {
      checkpoint: join(varDir, 'nope'),
      benchmarks: ['tiny_world'],
    });
    expect(missing).toContain(join(varDir, 'nope'));
    expect(missing).toContain(checkpoint.key); // what exists: the store's checkpoints

    const noRun = await failure('eval-bad-3', { checkpoint: 'latest:em-none', benchmarks: ['tiny_world'] });
    expect(noRun).toContain('run em-none not found');
    expect(noRun).toContain('em-x'); // the runs that exist
    expect(entries().sort()).toEqual(before);
  });
});
