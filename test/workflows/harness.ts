// A fast stage for the workflows: one real dev server, one workflow bundle, and two in-process workers
// (queues 'cpu' and 'gpu') whose activities are scripted mocks. Every mock logs its start and end in
// one ordered list, so tests check the scheduler by order of events, not by timing.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker } from '@temporalio/worker';
import { NODE_KINDS, type NodeKindName } from '../../nodes/registry';
import { loadSpec } from '../../pipelines/load';
import { nodeResult } from '../../schemas/node-result';
import type {
  PolicyLoadInput,
  PolicyLoadOutput,
  PolicySftInput,
  PolicyTrainOutput,
} from '../../schemas/policy';
import { TASK_QUEUES } from '../../schemas/queues';
import type { InferenceEndpoints } from '../../schemas/rollout';
import type { Metrics, NodeRequest, NodeResult, PolicyRef, QuerySet } from '../../schemas/run';
import type { DatasetRef } from '../../schemas/store';
import type { PreparedRun, PrepareRunInput } from '../../services/run/prepare';
import type { IterationSummary } from '../../services/run/record';
import { ACTIVITY_OPTIONS } from '../../workers/activity-options';
import { startTestServer, type TestServer } from '../helpers/stack';

// The bundler's entry point, as workers/cpu.ts names it; importing that module would load every real
// activity (store, sandbox, DuckDB) for nothing.
const WORKFLOWS = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

export interface MockEvent {
  /** Position in the one log of all workers: the order tests compare. */
  seq: number;
  phase: 'start' | 'end' | 'fail';
  activity: string;
  /** The node a node activity runs, or the node whose result recordNode records. */
  node?: string;
  iteration?: number;
  input: unknown;
  output?: unknown;
}

/** A scripted activity: gets the input and the default mock (to call after a hold, or not at all). */
// biome-ignore lint/suspicious/noExplicitAny: each test knows which activity's input it scripts
export type Behavior = (input: any, base: () => Promise<unknown>) => Promise<unknown>;
type Tags = Pick<MockEvent, 'node' | 'iteration'>;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function datasetRef(kind: string, name: string): DatasetRef {
  return {
    kind,
    key: sha(name),
    uri: `/mock/store/${kind}/${name}`,
    sha256: sha(`files:${name}`),
    rows: 1,
    schema_version: 1,
  };
}

/** The checkpoint the mocked policy_update of (run, iteration) returns. */
export function updateCheckpoint(run: string, iteration: number): PolicyRef {
  return { uri: `/mock/ckpt/${run}/iter-${iteration}`, key: `update-${run}-${iteration}` };
}

export const SFT_CHECKPOINT: PolicyRef = { uri: '/mock/ckpt/sft', key: 'sft' };
/** Where the mocked embedded server answers (policy_load's base_url without /v1). */
export const EMBEDDED_ROOT = 'http://127.0.0.1:18080';

export const TRAIN = datasetRef('queries', 'train');
export const EVAL: QuerySet[] = [{ name: 'tiny_world', queries: datasetRef('queries', 'eval') }];

export function endpoints(urls: string[], model: string): InferenceEndpoints {
  return { urls, model, concurrency: 4, timeout_ms: 1000, attempts: 1, backoff_ms: 0, backoff_max_ms: 0 };
}

/** What the mocked node activities return when not scripted otherwise. */
function defaultNodeResult(req: NodeRequest): NodeResult {
  const output = NODE_KINDS[req.uses as NodeKindName].output;
  const name = `${req.run_id}/${req.iteration}/${req.node_id}`;
  if (output === 'checkpoint') {
    return nodeResult(req, output, {
      checkpoint: updateCheckpoint(req.run_id, req.iteration),
      metrics: { steps: 1 },
    });
  }
  const metrics: Metrics =
    output === 'eval' ? { 'tiny_world.auto.accuracy': req.iteration / 10 } : { rows: 1 };
  return nodeResult(req, output, { dataset: datasetRef(output, name), metrics });
}

function trainOutput(checkpoint: PolicyRef): PolicyTrainOutput {
  return {
    checkpoint,
    metrics: {
      steps: 1,
      resumed_from_step: 0,
      examples: 1,
      skipped_examples: 0,
      tokens: 1,
      train_seconds: 0,
      tokens_per_s: 0,
      final_loss: null,
      cached: false,
    },
  };
}

export class Mocks {
  events: MockEvent[] = [];
  private seq = 0;
  private behaviors = new Map<string, Behavior>();
  private watchers: { match: (e: MockEvent) => boolean; resolve: (e: MockEvent) => void }[] = [];
  private loads = 0;

  /** Forgets the log and every scripted behaviour (between tests). */
  reset(): void {
    this.events = [];
    this.behaviors.clear();
    this.watchers = [];
    this.loads = 0;
  }

  /** Scripts a node (by node id) or any other activity (by name). */
  on(key: string, behavior: Behavior): void {
    this.behaviors.set(key, behavior);
  }

  /** Resolves when a matching activity has started (now or later); rejects after `timeoutMs`. */
  started(match: (e: MockEvent) => boolean, what: string, timeoutMs = 10_000): Promise<MockEvent> {
    const seen = this.events.find((e) => e.phase === 'start' && match(e));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            ApplicationFailure.nonRetryable(`${what} did not start within ${timeoutMs} ms`, 'MockTimeout'),
          ),
        timeoutMs,
      );
      this.watchers.push({
        match: (e) => e.phase === 'start' && match(e),
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  /** The node's start, as `started` (in any iteration unless given). */
  nodeStarted(node: string, iteration?: number): Promise<MockEvent> {
    return this.started(
      (e) =>
        e.activity in NODE_KINDS && e.node === node && (iteration === undefined || e.iteration === iteration),
      `node ${node}`,
    );
  }

  /** Events of node activities only (not recordNode), optionally of one phase. */
  nodeEvents(phase?: MockEvent['phase']): MockEvent[] {
    return this.events.filter((e) => e.activity in NODE_KINDS && (!phase || e.phase === phase));
  }

  /** Events of one activity by name. */
  calls(activity: string, phase: MockEvent['phase'] = 'start'): MockEvent[] {
    return this.events.filter((e) => e.activity === activity && e.phase === phase);
  }

  /** The one event of a node (in an iteration); throws unless there is exactly one. */
  one(node: string, phase: MockEvent['phase'], iteration?: number): MockEvent {
    const found = this.nodeEvents(phase).filter(
      (e) => e.node === node && (iteration === undefined || e.iteration === iteration),
    );
    if (found.length !== 1) throw new Error(`expected one ${phase} of node ${node}, got ${found.length}`);
    return found[0]!;
  }

  private log(e: Omit<MockEvent, 'seq'>): MockEvent {
    const event = { ...e, seq: this.seq++ };
    this.events.push(event);
    for (const w of this.watchers.filter((x) => x.match(event))) {
      this.watchers.splice(this.watchers.indexOf(w), 1);
      w.resolve(event);
    }
    return event;
  }

  private wrap<I>(
    activity: string,
    base: (input: I) => Promise<unknown>,
    who: (input: I) => Tags = () => ({}),
  ) {
    return async (input: I): Promise<unknown> => {
      const tags = { activity, ...who(input), input };
      this.log({ phase: 'start', ...tags });
      const scripted = this.behaviors.get(tags.node ?? '') ?? this.behaviors.get(activity);
      try {
        const output = await (scripted ? scripted(input, () => base(input)) : base(input));
        this.log({ phase: 'end', ...tags, output });
        return output;
      } catch (err) {
        this.log({ phase: 'fail', ...tags, output: err instanceof Error ? err.message : String(err) });
        throw err;
      }
    };
  }

  private nodeActivities(queue: 'cpu' | 'gpu'): Record<string, unknown> {
    const kinds = (Object.keys(NODE_KINDS) as NodeKindName[]).filter((k) => NODE_KINDS[k].queue === queue);
    return Object.fromEntries(
      kinds.map((k) => [
        k,
        this.wrap(
          k,
          async (req: NodeRequest) => defaultNodeResult(req),
          (req) => ({ node: req.node_id, iteration: req.iteration }),
        ),
      ]),
    );
  }

  cpuActivities(): Record<string, unknown> {
    return {
      ...this.nodeActivities('cpu'),
      recordNode: this.wrap(
        'recordNode',
        async (i: { run_id: string; iteration: number; result: NodeResult }) =>
          `/mock/runs/${i.run_id}/${i.result.node_id}.json`,
        (i) => ({ node: i.result.node_id, iteration: i.iteration }),
      ),
      prepareRun: this.wrap(
        'prepareRun',
        async (i: PrepareRunInput): Promise<PreparedRun> => ({
          run_id: i.run_id,
          spec: loadSpec(i.spec ?? 'tiny', i.overrides ?? {}),
          train: TRAIN,
          eval: EVAL,
          demonstrations: datasetRef('demonstrations', 'demos'),
          initial_policy_key: sha(''),
          base: null,
        }),
      ),
      writeRunReport: this.wrap(
        'writeRunReport',
        async (i: { run_id: string; iterations: IterationSummary[] }) => `/mock/runs/${i.run_id}/report.md`,
      ),
      reloadEndpoints: this.wrap('reloadEndpoints', async (i: { urls: string[] }) => i.urls.length),
    };
  }

  gpuActivities(): Record<string, unknown> {
    return {
      ...this.nodeActivities('gpu'),
      policy_sft: this.wrap('policy_sft', async (_: PolicySftInput) => trainOutput(SFT_CHECKPOINT)),
      policy_load: this.wrap(
        'policy_load',
        async (i: PolicyLoadInput): Promise<PolicyLoadOutput> => ({
          base_url: `${EMBEDDED_ROOT}/v1`,
          model: 'policy',
          checkpoint: i.checkpoint,
          weights_version: this.loads,
          reloaded: this.loads++ > 0,
          device: 'cpu',
          dtype: 'float32',
          max_model_len: 512,
        }),
      ),
    };
  }
}

export interface Harness {
  client: Client;
  mocks: Mocks;
  stop(): Promise<void>;
}

/** The server, the bundle and both mock workers, for all tests of one file. */
export async function startHarness(): Promise<Harness> {
  const server: TestServer = await startTestServer();
  const mocks = new Mocks();
  try {
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: WORKFLOWS,
      logger: new DefaultLogger('WARN'),
    });
    const connection = await NativeConnection.connect({ address: server.address });
    const cpu = await Worker.create({
      connection,
      taskQueue: TASK_QUEUES.cpu,
      workflowBundle,
      activities: mocks.cpuActivities(),
      // The product worker's activity behaviour: liveness heartbeats, typed failures.
      ...ACTIVITY_OPTIONS,
    });
    const gpu = await Worker.create({
      connection,
      taskQueue: TASK_QUEUES.gpu,
      activities: mocks.gpuActivities(),
      ...ACTIVITY_OPTIONS,
    });
    const running = Promise.all([cpu.run(), gpu.run()]);
    return {
      client: server.client,
      mocks,
      async stop() {
        cpu.shutdown();
        gpu.shutdown();
        await running;
        await connection.close();
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
