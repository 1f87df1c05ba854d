// The ablation sweep on a real dev server with the real TypeScript worker (a child process) and real
// child emRuns, CPU only: every run serves a scripted policy through `inference.endpoints` and its DAG
// is one evaluate node (the sweep's overrides), so a run takes seconds and its metrics are known by
// construction. A second sweep under the same id, started with `bin/autocode ablation`, skips the
// finished run and runs only the new one.
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyWorldQueries } from '../../datasets/tiny-world/generate';
import { ROOT } from '../../infra/paths';
import type { AblationProgress, AblationResult, AblationSweepInput } from '../../schemas/ablation';
import { TASK_QUEUES } from '../../schemas/queues';
import { type CompletionsServer, startCompletionsServer } from '../helpers/completions-server';
import { scriptedTinyPolicy } from '../helpers/scripted-tiny-policy';
import { spawnCpuWorker, startTestServer, stopProcess, type TestServer } from '../helpers/stack';

const run = promisify(execFile);
const PER_FAMILY = 3;

describe('ablationSweep', { timeout: 300_000 }, () => {
  let server: TestServer;
  let model: CompletionsServer;
  let varDir: string;
  let cpu: ChildProcess;
  let overrides: Record<string, unknown>;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    server = await startTestServer();
    varDir = mkdtempSync(join(tmpdir(), 'autocode-ablation-'));
    env = { AUTOCODE_VAR: varDir, AUTOCODE_STORE: join(varDir, 'store'), AUTOCODE_SANDBOX_SIZE: '1' };
    cpu = spawnCpuWorker(server.address, 'ablation-cpu', env);
    // The scripted policy whose every metric is known (test/helpers/scripted-tiny-policy.ts).
    const queries = tinyWorldQueries({ seed: 3, per_family: PER_FAMILY, split: 'test' });
    model = await startCompletionsServer({ script: scriptedTinyPolicy(queries) });
    // A checkpoint given by path is only stamped (the scripted server answers for it).
    const checkpoint = join(varDir, 'scripted-checkpoint');
    mkdirSync(checkpoint, { recursive: true });
    writeFileSync(join(checkpoint, 'config.json'), '{}');
    overrides = {
      policy: { checkpoint },
      inference: { endpoints: [model.url], model: 'scripted', max_concurrency: 8 },
      'queries.train': [{ tiny_world: { seed: 2, per_family: 1 } }],
      'queries.eval': [{ tiny_world: { seed: 3, per_family: PER_FAMILY, split: 'test' } }],
      'iteration.nodes': [{ id: 'evaluate', uses: 'evaluate' }],
    };
  });
  afterAll(async () => {
    await model?.close();
    if (cpu) await stopProcess(cpu);
    await server?.stop();
  });

  const sweep = async (input: AblationSweepInput) => {
    const handle = await server.client.workflow.start('ablationSweep', {
      taskQueue: TASK_QUEUES.cpu,
      workflowId: 'abl',
      args: [input],
    });
    const result = (await handle.result()) as AblationResult;
    return { result, progress: await handle.query<AblationProgress>('progress') };
  };

  it('runs each (method, seed) as a child emRun, skips finished runs on a re-run, writes the table', async () => {
    const base = { seeds: [0], iterations: 1, selection_labels: 2, overrides };
    const first = await sweep({ ...base, methods: ['autocode'] });
    expect(first.progress.runs.map((r) => [r.run_id, r.state])).toEqual([['abl-autocode-s0', 'done']]);
    const report = join(varDir, 'runs', 'abl-autocode-s0', 'report.json');
    const finishedAt = statSync(report).mtimeMs;
    const child = await server.client.workflow.getHandle('abl-autocode-s0').describe();

    // The re-run through the command line, as a user resumes: same id, one more method.
    const cli = await run(
      join(ROOT, 'bin', 'autocode'),
      [
        'ablation',
        ...['--id', 'abl', '--seeds', '0', '--methods', 'autocode,plain_rl', '--iterations', '1'],
        ...['--selection-labels', '2'],
        ...Object.entries(overrides).flatMap(([k, v]) => ['-s', `${k}=${JSON.stringify(v)}`]),
      ],
      { cwd: ROOT, env: { ...process.env, ...env, AUTOCODE_TEMPORAL_ADDRESS: server.address } },
    );
    expect(cli.stdout).toContain('runs: abl-autocode-s0, abl-plain_rl-s0');
    expect(cli.stdout).toContain('finished already (skipped): abl-autocode-s0');
    const handle = server.client.workflow.getHandle('abl');
    const second = {
      result: (await handle.result()) as AblationResult,
      progress: await handle.query<AblationProgress>('progress'),
    };
    expect(cli.stdout).toContain(second.result.markdown);
    expect(second.progress.runs.map((r) => [r.run_id, r.state])).toEqual([
      ['abl-autocode-s0', 'skipped'],
      ['abl-plain_rl-s0', 'done'],
    ]);
    // The finished run was not started again: same Temporal run, report untouched.
    expect((await server.client.workflow.getHandle('abl-autocode-s0').describe()).runId).toBe(child.runId);
    expect(statSync(report).mtimeMs).toBe(finishedAt);

    // 12 queries, 3 per family: cot right on pick + compare (6/12), code everywhere, auto right on
    // add, compare (code) and pick (prose) = 9/12; gain 0.75 − 1 = −25 points; auto code rate 6/12;
    // selection labels (k = 2): add, mul -> code, pick, compare -> tie; label-code queries choosing
    // code: add only -> acc_code 0.5, no label-cot class -> mAcc 0.5. Both iterations serve the same
    // script, so it0 = it1 = 75.0.
    const md = readFileSync(second.result.table_md, 'utf8');
    expect(md).toBe(second.result.markdown);
    const json = JSON.parse(readFileSync(second.result.table_json, 'utf8'));
    const strict = json.sets[0].rows[0].last.strict_align as number;
    expect(typeof strict).toBe('number');
    for (const method of ['autocode', 'plain_rl'])
      expect(md).toContain(
        `| ${method} | 0 | 75.0 | 75.0 | -25.0 | 50.0 | 50.0 | ${(strict * 100).toFixed(1)} |`,
      );
    expect(md).toContain(`| **plain_rl** | mean ± sd (1) | 75.0 | 75.0 | -25.0 | 50.0 | 50.0 |`);
    expect(second.result.table_md).toBe(join(varDir, 'ablations', 'abl', 'table.md'));
  });
});
