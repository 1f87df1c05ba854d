// The EM pipeline end to end on a real dev server with both real workers (as child processes, as the
// supervisor runs them): a whole run, then a run that fails after its rollouts and is resumed.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInput } from '../../cli/commands/runs';
import { resolveUri } from '../../engines/store/locate';
import { readRows } from '../../engines/store/reader';
import { readSpecFile, resolveSpecPath } from '../../pipelines/load';
import type { IterationProgress, RunProgress } from '../../schemas/progress';
import { TASK_QUEUES } from '../../schemas/queues';
import type { NodeResult } from '../../schemas/run';
import type { EmRunResult } from '../../workflows/em-run';
import { autocode } from '../helpers/cli';
import { smallSpec } from '../helpers/small-spec';
import {
  spawnCpuWorker,
  spawnGpuWorker,
  startTestServer,
  stopProcess,
  type TestServer,
} from '../helpers/stack';
import { partStamps } from '../helpers/store-files';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Each test trains a (very) small model, samples, updates and evaluates: minutes on a loaded box.
describe('emRun on the tiny world', { timeout: 420_000 }, () => {
  let server: TestServer;
  let env: NodeJS.ProcessEnv;
  let varDir: string;
  let cpu: ChildProcess;
  let gpu: ChildProcess;

  beforeAll(async () => {
    server = await startTestServer();
    varDir = mkdtempSync(join(tmpdir(), 'autocode-em-'));
    env = { AUTOCODE_VAR: varDir, AUTOCODE_STORE: join(varDir, 'store'), AUTOCODE_SANDBOX_SIZE: '1' };
    // The workers' refs name entries relative to their store root: this process opens them there too.
    process.env.AUTOCODE_STORE = env.AUTOCODE_STORE;
    cpu = spawnCpuWorker(server.address, 'em-cpu', env);
    gpu = spawnGpuWorker(server.address, 'em-gpu', env);
  });
  afterAll(async () => {
    await stopProcess(gpu);
    await stopProcess(cpu);
    await server?.stop();
  });

  it("runs bootstrap, evaluation, one iteration and the report on tiny.yaml's serving; every node recorded, no duplicate rollout", async () => {
    // The main job's serving as shipped (a pool of two child servers), not the small spec's one server.
    const { inference } = readSpecFile(resolveSpecPath('tiny')) as {
      inference: { embedded: { replicas: number } };
    };
    expect(inference.embedded.replicas).toBe(2);
    const handle = await server.client.workflow.start('emRun', {
      taskQueue: TASK_QUEUES.cpu,
      workflowId: 'em-full',
      args: [{ spec_inline: { ...smallSpec(), inference } }],
    });
    const result = (await handle.result()) as EmRunResult;
    // Every serve answered from two processes: the bootstrap's in emRun, and the update's in its
    // iteration where the update changed the policy (this small spec's barely trained model may leave
    // the update nothing to train on).
    const histories = await Promise.all(
      ['em-full', 'em-full/iter-1'].map((id) => server.client.workflow.getHandle(id).fetchHistory()),
    );
    const served = histories
      .flatMap((h) => h.events ?? [])
      .map((e) => e.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data)
      .filter((d): d is Uint8Array => !!d)
      .map((d) => JSON.parse(Buffer.from(d).toString()) as { base_urls?: string[] })
      .filter((r) => Array.isArray(r.base_urls));
    expect(served.length).toBeGreaterThanOrEqual(1);
    for (const r of served) expect(new Set(r.base_urls).size).toBe(2);
    expect(result.iterations.map((i) => i.iteration)).toEqual([0, 1]);
    expect(Object.keys(result.iterations[1]!.metrics)).toContain('tiny_world.auto.accuracy');
    const progress = await handle.query<RunProgress>('progress');
    expect(progress.stage).toBe('done');
    const desc = await handle.describe();
    expect(desc.searchAttributes.AutocodeRunId).toEqual(['em-full']);
    expect(desc.searchAttributes.AutocodeStage).toEqual(['done']);

    // Watching it now: one line saying it ended and where its report is, a non-zero exit.
    const watch = await autocode(['watch', 'em-full'], { AUTOCODE_TEMPORAL_ADDRESS: server.address });
    expect(watch.code).toBe(1);
    expect(watch.err).toBe(`autocode: run em-full has already completed; its report: ${result.report}\n`);

    const runDir = join(varDir, 'runs', 'em-full');
    expect(readFileSync(result.report, 'utf8')).toContain('| iteration | cot | code | auto |');
    // The same report as a self-contained page, with the training figures of iteration 1.
    const html = readFileSync(join(runDir, 'report.html'), 'utf8');
    expect(html).toContain('id="chart-reward"');
    expect(html).toContain('<table class="table1" data-set="tiny_world">');
    const nodes = readdirSync(join(runDir, 'iter-1')).sort();
    expect(nodes).toEqual([
      'behavior.json',
      'estimate.json',
      'evaluate.json',
      'rollouts_code.json',
      'rollouts_cot.json',
      'rollouts_native.json',
      'synthesize.json',
      'update.json',
    ]);

    // synthesize -> behavior_logprobs -> update: the update trained on the rescored train set.
    const record = (id: string) =>
      JSON.parse(readFileSync(join(runDir, 'iter-1', `${id}.json`), 'utf8')) as NodeResult;
    const [synth, behavior, update] = ['synthesize', 'behavior', 'update'].map(record);
    expect(behavior!.metrics.rows).toBe(synth!.dataset!.rows);
    if (synth!.dataset!.rows > 0) {
      const manifest = (uri: string) =>
        JSON.parse(readFileSync(join(resolveUri(uri), '_manifest.json'), 'utf8'));
      expect(manifest(behavior!.dataset!.uri).inputs.train.key).toBe(synth!.dataset!.key);
      expect(manifest(update!.checkpoint!.uri).inputs.train.key).toBe(behavior!.dataset!.key);
    }

    // 3 queries per family x 4 families, K = 2 samples in the node's one mode: one row each.
    const cot = JSON.parse(readFileSync(join(runDir, 'iter-1', 'rollouts_cot.json'), 'utf8')) as NodeResult;
    const rows = await readRows(cot.dataset!, {
      columns: ['query_id', 'mode', 'sample', 'response_token_ids', 'loss_mask', 'reward'],
    });
    // The node records its mean reward per mode (the report's reward curve).
    const mean = rows.reduce((s, r) => s + (r.reward as number), 0) / rows.length;
    expect(cot.metrics['rows.dictated_cot']).toBe(rows.length);
    expect(cot.metrics['reward.dictated_cot']).toBeCloseTo(mean, 4);
    expect(rows).toHaveLength(12 * 2);
    expect(new Set(rows.map((r) => `${r.query_id}/${r.mode}/${r.sample}`)).size).toBe(rows.length);
    expect(rows.every((r) => r.mode === 'dictated_cot')).toBe(true);
  });

  it('serves the policy again when its gpu worker dies during evaluation, regenerating no rollout shard; resume finds every node', async () => {
    // biome-ignore lint/suspicious/noExplicitAny: a parsed YAML document, edited field by field
    const spec = smallSpec() as Record<string, any>;
    spec.queries.train = [{ tiny_world: { seed: 4, per_family: 3 } }];
    // Enough evaluation work (3 modes x 80 queries) that it is still running when the worker dies.
    spec.queries.eval = [{ tiny_world: { seed: 5, per_family: 20, split: 'test' } }];
    // One attempt: the dead server fails the node at once, and the workflow serves the policy again.
    const evaluate = spec.iteration.nodes.find((n: { id: string }) => n.id === 'evaluate');
    evaluate.retry = { maximum_attempts: 1 };
    const handle: WorkflowHandle = await server.client.workflow.start('emRun', {
      taskQueue: TASK_QUEUES.cpu,
      workflowId: 'em-resume',
      args: [{ spec_inline: spec, baseline_eval: false }],
    });
    // Kill the gpu worker (and with it the policy server) while the evaluation samples from it: every
    // rollout node has finished by then.
    let evaluating = false;
    for (let i = 0; i < 1200 && !evaluating; i++) {
      const it = await server.client.workflow
        .getHandle('em-resume/iter-1')
        .query<IterationProgress>('progress')
        .catch(() => undefined);
      evaluating = it?.nodes.evaluate?.state === 'running';
      if (!evaluating) await sleep(100);
    }
    expect(evaluating).toBe(true);
    gpu.kill('SIGKILL');
    const before = partStamps(env.AUTOCODE_STORE as string, 'rollouts');
    expect(before.size).toBeGreaterThan(0);
    // A new gpu worker: the run serves the policy there and reruns the evaluation.
    gpu = spawnGpuWorker(server.address, 'em-gpu-2', env);
    const first = (await handle.result()) as EmRunResult;
    expect(first.iterations.at(-1)?.iteration).toBe(1);
    expect(partStamps(env.AUTOCODE_STORE as string, 'rollouts')).toEqual(before);

    // Resuming the run (a new execution from its recorded input) finds every node finished.
    const input = await runInput(server.client, 'em-resume');
    const resumed = await server.client.workflow.start('emRun', {
      taskQueue: TASK_QUEUES.cpu,
      workflowId: 'em-resume',
      args: [input],
    });
    const result = (await resumed.result()) as EmRunResult;
    expect(result.iterations.at(-1)?.iteration).toBe(1);
    // The store holds exactly the same rollout part files, untouched: 0 shards regenerated.
    expect(partStamps(env.AUTOCODE_STORE as string, 'rollouts')).toEqual(before);
    const nodes = result.iterations.at(-1)!.nodes;
    for (const n of ['rollouts_cot', 'rollouts_code', 'rollouts_native', 'evaluate'])
      expect(nodes[n]?.cached, n).toBe(true);
  });
});
