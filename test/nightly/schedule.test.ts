// A nightly evaluation end to end on a real dev server: a Temporal Schedule triggers nightlyEval,
// which runs evalRun (real cpu worker, real sandbox and grader) against an inference server speaking
// SGLang's protocol — the GPU cluster that would serve the checkpoint is not reachable here, so a
// local server loads each night's checkpoint through the real reload call and answers as that
// checkpoint would: the good one right, the worse one wrong. The second night must be marked.
import { type ChildProcess, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyWorldQueries } from '../../datasets/tiny-world/generate';
import type { NightlyEvalResult } from '../../workflows/nightly-eval';
import { type CompletionsServer, startCompletionsServer } from '../helpers/completions-server';
import type { TestServer } from '../helpers/stack';

const varDir = mkdtempSync(join(tmpdir(), 'autocode-nightly-e2e-'));
process.env.AUTOCODE_VAR = varDir;
process.env.AUTOCODE_STORE = join(varDir, 'store');
const { createSchedule, listSchedules, scheduleId, triggerSchedule } = await import(
  '../../cli/commands/schedule'
);
// Both read the var directory from the environment when first imported.
const { spawnCpuWorker, startTestServer, stopProcess } = await import('../helpers/stack');
const { ROOT } = await import('../../infra/paths');

const run = promisify(execFile);
const PER_FAMILY = 2;
const RUN = 'trainer';

/** A checkpoint directory and the run index entry that makes it the run's latest policy. */
function publish(iteration: number, name: string): string {
  const dir = join(varDir, 'checkpoints', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), '{}');
  const iterDir = join(varDir, 'runs', RUN, `iter-${iteration}`);
  mkdirSync(iterDir, { recursive: true });
  const node = {
    node_id: 'update',
    checkpoint: { uri: dir, key: createHash('sha256').update(name).digest('hex') },
  };
  writeFileSync(join(iterDir, 'update.json'), JSON.stringify(node));
  return dir;
}

describe('nightly schedule', { timeout: 240_000 }, () => {
  let server: TestServer;
  let model: CompletionsServer;
  let cpu: ChildProcess;

  beforeAll(async () => {
    server = await startTestServer();
    const queries = tinyWorldQueries({ seed: 3, per_family: PER_FAMILY, split: 'test' });
    model = await startCompletionsServer({
      script: ({ prompt, model_path }) => {
        const q = queries
          .filter((x) => prompt.includes(x.question))
          .sort((a, b) => b.question.length - a.question.length)[0];
        const right = model_path?.endsWith('good') ?? false;
        const answer = q && right ? q.answer : '-1';
        if (prompt.includes('```output')) return ` The answer is \\boxed{${answer}}.`;
        if (prompt.includes("Let's write a program."))
          return `\`\`\`python\nprint(${answer})\n\`\`\`\n\`\`\`output`;
        return ` The answer is \\boxed{${answer}}.`;
      },
    });
    cpu = spawnCpuWorker(server.address, 'nightly-cpu', {
      AUTOCODE_VAR: varDir,
      AUTOCODE_STORE: join(varDir, 'store'),
      AUTOCODE_SANDBOX_SIZE: '1',
    });
  });
  afterAll(async () => {
    await model?.close();
    if (cpu) await stopProcess(cpu);
    await server?.stop();
  });

  it('marks a regression when the night evaluates a worse checkpoint than the night before', async () => {
    const client = server.client;
    publish(1, 'good');
    await createSchedule(client, 'tiny', {
      checkpoint: `latest:${RUN}`,
      benchmarks: 'tiny_world',
      perFamily: PER_FAMILY,
      threshold: 0.05,
      at: '03:30',
      tz: 'Europe/Paris',
      endpoints: model.url,
      model: 'scripted',
      paused: true,
    });
    const desc = await client.schedule.getHandle(scheduleId('tiny')).describe();
    expect(desc.spec.timezone).toBe('Europe/Paris');
    expect(desc.policies.overlap).toBe('SKIP');

    const night = async () => {
      const id = await triggerSchedule(client, 'tiny');
      const handle = client.workflow.getHandle(id);
      const result = (await handle.result()) as NightlyEvalResult;
      return { id, result, attrs: (await handle.describe()).searchAttributes };
    };

    const first = await night();
    expect(first.id.startsWith(scheduleId('tiny'))).toBe(true);
    expect(first.result.metrics['tiny_world.auto.accuracy']).toBe(1);
    expect(first.result.previous_eval_id).toBeNull();
    expect(first.result.regression).toBe(false);
    expect(first.attrs.AutocodeRegression).toEqual([false]);
    expect(first.attrs.AutocodeSchedule).toEqual(['tiny']);

    publish(2, 'worse');
    const second = await night();
    expect(second.result.checkpoint.uri.endsWith('worse')).toBe(true);
    expect(second.result.metrics['tiny_world.auto.accuracy']).toBe(0);
    expect(second.result.previous_eval_id).toBe(first.id);
    expect(second.result.regression).toBe(true);
    const marked = second.result.regressions.map((r) => r.metric);
    expect(marked).toContain('tiny_world.auto.accuracy');
    expect(marked).toContain('tiny_world/add.code.accuracy');
    expect(second.attrs.AutocodeRegression).toEqual([true]);
    // The mark is in the report too, beside the tables.
    expect(existsSync(second.result.report)).toBe(true);
    const md = readFileSync(second.result.report.replace(/report\.html$/, 'report.md'), 'utf8');
    expect(md).toContain('REGRESSION');
    expect(md).toContain('(regression)');
    // The Web UI's list can filter on it.
    const regressed: string[] = [];
    for await (const w of client.workflow.list({ query: 'AutocodeRegression = true' }))
      regressed.push(w.workflowId);
    expect(regressed).toEqual([second.id]);

    const [row] = await listSchedules(client);
    expect(row).toMatchObject({ name: 'tiny', paused: true, last: { eval_id: second.id, regression: true } });
    expect(row?.calendar).toBe('03:30 daily Europe/Paris');
  });

  it('the CLI lists, unpauses, pauses and deletes schedules, and names the existing ones on a typo', async () => {
    const cli = async (...args: string[]) => {
      try {
        const { stdout } = await run(join(ROOT, 'bin', 'autocode'), ['schedule', ...args], {
          env: { ...process.env, AUTOCODE_VAR: varDir, AUTOCODE_TEMPORAL_ADDRESS: server.address },
        });
        return { code: 0, out: stdout };
      } catch (err) {
        const e = err as { code: number; stdout: string; stderr: string };
        return { code: e.code, out: `${e.stdout}${e.stderr}` };
      }
    };
    expect((await cli('list')).out).toMatch(/^tiny\s+paused\s+03:30 daily Europe\/Paris .* REGRESSION/m);
    expect((await cli('unpause', 'tiny')).code).toBe(0);
    expect((await cli('list')).out).toMatch(/^tiny\s+active /m);
    expect((await cli('pause', 'tiny')).code).toBe(0);
    expect((await cli('list')).out).toMatch(/^tiny\s+paused /m);
    const typo = await cli('trigger', 'tinny');
    expect(typo.code).not.toBe(0);
    expect(typo.out).toContain('no schedule named "tinny"; schedules: tiny');
    expect((await cli('delete', 'tiny')).code).toBe(0);
    expect((await cli('list')).out).toContain('no schedules');
    // The history stays for the record.
    expect(existsSync(join(varDir, 'nightly', 'tiny', 'history.json'))).toBe(true);
  });

  it('refuses a schedule whose checkpoint or benchmark does not exist, creating nothing', async () => {
    const client = server.client;
    await expect(
      createSchedule(client, 'bad', { checkpoint: 'latest:nope', benchmarks: 'tiny_world', tz: 'UTC' }),
    ).rejects.toThrow(/run nope not found.*runs for latest:<run>.*trainer/);
    await expect(
      createSchedule(client, 'bad', { checkpoint: `latest:${RUN}`, benchmarks: 'gsm9k', tz: 'UTC' }),
    ).rejects.toThrow(/unknown benchmark "gsm9k" \(known: gsm8k/);
    await expect(
      createSchedule(client, 'bad', {
        checkpoint: `latest:${RUN}`,
        benchmarks: 'tiny_world',
        cron: '61 2 * * *',
      }),
    ).rejects.toThrow();
    expect((await listSchedules(client)).map((s) => s.name)).toEqual([]);
  });
});
