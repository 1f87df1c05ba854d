// Chaos, as a user would cause it: the local stack (`autocode up`, its supervisor restarting whatever
// dies), a small tiny-world run started with `autocode run`, and kill -9 of the gpu worker during the
// bootstrap SFT, of the Temporal dev server during the starting policy's evaluation and of the cpu
// worker during the rollouts, with the product's default timeouts. The run must end with an undisturbed run's evaluation metrics,
// content keys and rollout rows, no duplicate, and every stall bounded (measured, and printed).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { describe, expect, it } from 'vitest';
import { readRows } from '../../engines/store/reader';
import { VAR_DIR } from '../../infra/paths';
import { freePort } from '../../infra/ports';
import type { StackState } from '../../infra/stack-state';
import type { RunProgress } from '../../schemas/progress';
import type { NodeResult } from '../../schemas/run';
import { autocode } from '../helpers/cli';
import { smallSpec } from '../helpers/small-spec';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type ProcessName = 'worker-cpu' | 'worker-gpu' | 'temporal';
interface Kill {
  /** What is running when the process is killed: a stage of the run, and the activity that is busy. */
  stage: string;
  activity: string;
  process: ProcessName;
}
interface Activity {
  type: string;
  attempt: number;
  startedMs: number;
  beatMs: number;
}
interface Outcome {
  runDir: string;
  /** Seconds from each kill until the work was going again. */
  stalls: Record<string, number>;
}

/** `autocode <args>`, failing the test with its output when it fails. */
async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const r = await autocode(args, env);
  if (r.code !== 0) throw new Error(`autocode ${args.join(' ')} exited ${r.code}: ${r.err}`);
  return r.out;
}

const msOf = (t: Parameters<typeof optionalTsToMs>[0]) => optionalTsToMs(t) ?? 0;

/** One run of the small spec on its own stack and store; kills as listed, each once. */
async function run(name: string, kills: Kill[]): Promise<Outcome> {
  const varDir = mkdtempSync(join(tmpdir(), `autocode-chaos-${name}-`));
  const port = await freePort();
  const env = {
    AUTOCODE_VAR: varDir,
    AUTOCODE_TEMPORAL_PORT: String(port),
    AUTOCODE_UI_PORT: String(await freePort()),
    AUTOCODE_TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    AUTOCODE_SANDBOX_SIZE: '1',
  };
  // biome-ignore lint/suspicious/noExplicitAny: a parsed YAML document, edited field by field
  const spec = smallSpec() as Record<string, any>;
  // A bootstrap long enough to be killed in the middle (step checkpoints every 50 steps), and an
  // evaluation of the starting policy long enough to lose its server under it.
  spec.policy.bootstrap.with = { max_steps: 120, batch_size: 16 };
  spec.queries.eval = [{ tiny_world: { seed: 3, per_family: 10, split: 'test' } }];
  const specFile = join(varDir, 'chaos.yaml');
  writeFileSync(specFile, JSON.stringify(spec));
  const stackState = () => JSON.parse(readFileSync(join(varDir, 'run', 'stack.json'), 'utf8')) as StackState;

  await cli(['up', '--detach'], env);
  const stalls: Record<string, number> = {};
  try {
    const runId = `chaos-${name}`;
    await cli(['run', specFile, '--id', runId, '--detach'], env);
    const connection = await Connection.connect({ address: env.AUTOCODE_TEMPORAL_ADDRESS });
    const client = new Client({ connection });
    const pending = [...kills];
    let watching: { kill: Kill; at: number } | null = null;
    const pendingOf = async (id: string): Promise<Activity[]> =>
      ((await client.workflow.getHandle(id).describe()).raw.pendingActivities ?? []).map((a) => ({
        type: a.activityType?.name ?? '',
        attempt: a.attempt ?? 1,
        startedMs: msOf(a.lastStartedTime),
        beatMs: msOf(a.lastHeartbeatTime),
      }));
    for (const deadline = Date.now() + 600_000; Date.now() < deadline; ) {
      await sleep(200);
      let status: string;
      let stage: string;
      let activities: Activity[];
      try {
        const handle = client.workflow.getHandle(runId);
        status = (await handle.describe()).status.name;
        const progress = await handle.query<RunProgress>('progress');
        stage = progress.stage;
        activities = await pendingOf(runId);
        if (progress.iteration > 0)
          activities.push(...(await pendingOf(`${runId}/iter-${progress.iteration}`)));
      } catch {
        // The server is down (the supervisor restarts it; the connection reconnects), or the
        // iteration has not started yet.
        continue;
      }
      if (status !== 'RUNNING') break;
      if (watching) {
        // Going again: the busy activity started anew (a retry), or heartbeated after the server came
        // back, or the run moved past it.
        const { kill, at } = watching;
        const a = activities.find((x) => x.type === kill.activity);
        const resumedAt =
          stage !== kill.stage || !a
            ? Date.now()
            : a.startedMs > at
              ? a.startedMs
              : kill.process === 'temporal' && a.beatMs > at
                ? a.beatMs
                : 0;
        if (resumedAt) {
          stalls[`${kill.process} during ${kill.activity}`] = (resumedAt - at) / 1000;
          watching = null;
        }
        continue;
      }
      const next = pending[0];
      // Killed once the activity is at work (it has heartbeated), not while it is being scheduled.
      const busy = activities.find((x) => x.type === next?.activity && x.beatMs > 0);
      if (next && stage === next.stage && busy) {
        const pid = stackState().processes[next.process]?.pid;
        if (!pid) continue;
        process.kill(pid, 'SIGKILL');
        watching = { kill: next, at: Date.now() };
        pending.shift();
      }
    }
    await connection.close().catch(() => {});
    expect(pending, 'every kill happened').toEqual([]);
    const report = JSON.parse(readFileSync(join(varDir, 'runs', runId, 'report.json'), 'utf8'));
    expect(report.iterations.map((i: { iteration: number }) => i.iteration)).toEqual([0, 1]);
    return { runDir: join(varDir, 'runs', runId), stalls };
  } finally {
    await autocode(['down'], env);
  }
}

const record = (runDir: string, iter: string, node: string) =>
  JSON.parse(readFileSync(join(runDir, iter, `${node}.json`), 'utf8')) as NodeResult;

describe('chaos: kill -9 of each worker kind and of the dev server during a run', {
  timeout: 1_500_000,
}, () => {
  it("ends with the undisturbed run's metrics, keys and rollout rows; each stall bounded", async () => {
    const calm = await run('calm', []);
    const chaos = await run('chaos', [
      { stage: 'bootstrap', activity: 'policy_sft', process: 'worker-gpu' },
      { stage: 'evaluate starting policy', activity: 'evaluate', process: 'temporal' },
      { stage: 'iteration 1', activity: 'rollouts', process: 'worker-cpu' },
    ]);
    console.log(`chaos stalls (s): ${JSON.stringify(chaos.stalls)}`);
    mkdirSync(join(VAR_DIR, 'test-artifacts'), { recursive: true });
    writeFileSync(
      join(VAR_DIR, 'test-artifacts', 'chaos-stalls.json'),
      `${JSON.stringify(chaos.stalls, null, 2)}\n`,
    );

    // Every kill's stall: the 20 s heartbeat timeout, the retry's backoff, the restarted worker's
    // start (it bundles the workflows first); a restarted server comes back in seconds.
    expect(Object.keys(chaos.stalls).sort()).toEqual([
      'temporal during evaluate',
      'worker-cpu during rollouts',
      'worker-gpu during policy_sft',
    ]);
    for (const [what, s] of Object.entries(chaos.stalls)) expect(s, what).toBeLessThan(75);

    const report = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(report(chaos.runDir).iterations.map((i: { metrics: unknown }) => i.metrics)).toEqual(
      report(calm.runDir).iterations.map((i: { metrics: unknown }) => i.metrics),
    );
    // The same content keys for every node: keys name what determines an output, not its bytes.
    for (const file of readdirSync(join(calm.runDir, 'iter-1'))) {
      const node = file.replace(/\.json$/, '');
      const [a, b] = [record(calm.runDir, 'iter-1', node), record(chaos.runDir, 'iter-1', node)];
      expect(b.dataset?.key, node).toBe(a.dataset?.key);
      expect(b.checkpoint?.key, node).toBe(a.checkpoint?.key);
    }
    // The same rollout rows, each (query, mode, sample) once; sampled log-probs agree to float noise
    // (the server's batches differ between runs).
    for (const node of ['rollouts_cot', 'rollouts_code', 'rollouts_native']) {
      const rows = async (dir: string) => {
        // Refs are relative to the store root: each run's store is under its own var dir (<var>/runs/<id>).
        process.env.AUTOCODE_STORE = join(dir, '..', '..', 'store');
        return (await readRows(record(dir, 'iter-1', node).dataset!)).sort((x, y) =>
          `${x.query_id}/${x.sample}`.localeCompare(`${y.query_id}/${y.sample}`),
        );
      };
      const [a, b] = [await rows(calm.runDir), await rows(chaos.runDir)];
      expect(new Set(b.map((r) => `${r.query_id}/${r.mode}/${r.sample}`)).size, node).toBe(b.length);
      expect(b.length, node).toBe(a.length);
      b.forEach((r, i) => {
        const { behavior_logprobs: lb, ...restB } = r;
        const { behavior_logprobs: la, ...restA } = a[i]!;
        expect(restB, node).toEqual(restA);
        const [x, y] = [la as number[], lb as number[]];
        expect(y.length).toBe(x.length);
        for (let k = 0; k < x.length; k++)
          expect(Math.abs((y[k] as number) - (x[k] as number))).toBeLessThan(1e-4);
      });
    }
  });
});
