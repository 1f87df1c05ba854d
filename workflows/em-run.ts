// An EM run, startable from the Web UI with one JSON object: validate the spec and prepare the query
// sets, bootstrap (tiny world, or Code4Math: SFT of a base) or load the initial policy and serve it, evaluate it (iteration 0), then one child
// `iteration` workflow per EM step, each passing its new policy on, and finally the report.
// Every node's output is content-addressed in the store, so running the same input again (resume)
// reuses whatever finished.
import {
  continueAsNew,
  defineQuery,
  executeChild,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { GpuActivities } from '../schemas/gpu-activities';
import type { RunProgress } from '../schemas/progress';
import { TASK_QUEUES } from '../schemas/queues';
import type { InferenceEndpoints } from '../schemas/rollout';
import type { Metrics, PolicyRef } from '../schemas/run';
import type * as services from '../services/index';
import type { PreparedRun } from '../services/run/prepare';
import type { IterationSummary } from '../services/run/record';
import { activityOptions, callNode, ITERATION, nodeRequest, RUN_ID, STAGE } from './common';
import { type IterationInput, iteration } from './iteration';
import { nodesForIteration } from './selection-schedule';
import { Served, type ServeTarget, servePolicy } from './serve';

export interface EmRunInput {
  /** A spec name under pipelines/ (e.g. "tiny") or a path; or give `spec_inline`. */
  spec?: string;
  spec_inline?: unknown;
  /** Dotted field overrides, e.g. {"iterations": 1, "defaults.rollouts.samples": 4}. */
  overrides?: Record<string, unknown>;
  /** Defaults to the workflow id. */
  run_id?: string;
  /** Evaluate the starting policy before the first iteration (default true when the DAG evaluates). */
  baseline_eval?: boolean;
  /** Carried across continue-as-new; not for users. */
  carry?: EmRunCarry;
}

interface EmRunCarry {
  prepared: PreparedRun;
  policy: PolicyRef;
  inference: InferenceEndpoints;
  next_iteration: number;
  summaries: IterationSummary[];
}

export interface EmRunResult {
  run_id: string;
  policy: PolicyRef;
  report: string;
  iterations: IterationSummary[];
}

export const runProgress = defineQuery<RunProgress>('progress');

export async function emRun(input: EmRunInput): Promise<EmRunResult> {
  const runId = input.run_id ?? workflowInfo().workflowId;
  const progress: RunProgress = {
    run_id: runId,
    spec: input.spec ?? null,
    stage: 'prepare',
    iteration: 0,
    iterations: 0,
    policy: null,
    evaluations: [],
    error: null,
  };
  setHandler(runProgress, () => progress);
  const stage = (s: string) => {
    progress.stage = s;
    upsertSearchAttributes([
      { key: RUN_ID, value: runId },
      { key: STAGE, value: s },
      { key: ITERATION, value: progress.iteration },
    ]);
  };
  const cpu = proxyActivities<typeof services>(activityOptions(TASK_QUEUES.cpu, '2 hours'));

  stage('prepare');
  const prepared =
    input.carry?.prepared ??
    (await cpu.prepareRun({
      run_id: runId,
      spec: input.spec,
      spec_inline: input.spec_inline,
      overrides: input.overrides,
    }));
  const spec = prepared.spec;
  progress.iterations = spec.iterations;
  const serve: ServeTarget =
    'embedded' in spec.inference
      ? { embedded: { port: spec.inference.embedded.port, replicas: spec.inference.embedded.replicas } }
      : {
          endpoints: {
            urls: spec.inference.endpoints,
            model: spec.inference.model,
            max_concurrency: spec.inference.max_concurrency,
          },
        };

  let summaries = input.carry?.summaries ?? [];
  let policy: PolicyRef;
  let inference: InferenceEndpoints;
  if (input.carry) {
    ({ policy, inference } = input.carry);
    inference = await servePolicy(serve, policy, { reload: false });
  } else {
    stage('bootstrap');
    policy = await initialPolicy(prepared);
    stage('serve');
    // External servers start with the run's initial policy; later checkpoints are loaded into them.
    inference = await servePolicy(serve, policy, { reload: false });
  }
  progress.policy = policy;
  for (const s of summaries) progress.evaluations.push({ iteration: s.iteration, metrics: s.metrics });

  const evalNodes = nodesForIteration(spec.iteration.nodes, 0, spec.iterations).filter(
    (n) => n.uses === 'evaluate',
  );
  if (!input.carry && (input.baseline_eval ?? true) && evalNodes.length > 0) {
    stage('evaluate starting policy');
    const metrics: Metrics = {};
    for (const node of evalNodes) {
      const ctx = { run_id: runId, iteration: 0, seed: spec.seed, policy, inference };
      const req = nodeRequest({ ...ctx, train: prepared.train, eval: prepared.eval }, node);
      // Served again on a live gpu worker when the server's host is lost (serve.ts).
      const served = new Served(serve, inference);
      const r = await served.call(policy, inference, (e) => callNode(node, { ...req, inference: e }));
      inference = served.inference;
      await cpu.recordNode({ run_id: runId, iteration: 0, result: r });
      Object.assign(metrics, r.metrics);
    }
    summaries = [...summaries, { iteration: 0, policy: policy.key, metrics, nodes: {} }];
    progress.evaluations.push({ iteration: 0, metrics });
  }

  for (let k = input.carry?.next_iteration ?? 1; k <= spec.iterations; k++) {
    progress.iteration = k;
    stage(`iteration ${k}`);
    const childInput: IterationInput = {
      run_id: runId,
      iteration: k,
      seed: spec.seed,
      nodes: nodesForIteration(spec.iteration.nodes, k, spec.iterations),
      policy,
      inference,
      serve,
      train: prepared.train,
      eval: prepared.eval,
    };
    const result = await executeChild(iteration, {
      workflowId: `${runId}/iter-${k}`,
      args: [childInput],
      typedSearchAttributes: [
        { key: RUN_ID, value: runId },
        { key: ITERATION, value: k },
        { key: STAGE, value: 'start' },
      ],
    });
    policy = result.policy;
    inference = result.inference;
    progress.policy = policy;
    const metrics: Metrics = {};
    const nodes: IterationSummary['nodes'] = {};
    for (const r of Object.values(result.results)) {
      nodes[r.node_id] = { cached: r.cached, metrics: r.metrics };
      if (r.output === 'eval') Object.assign(metrics, r.metrics);
    }
    summaries = [...summaries, { iteration: k, policy: policy.key, metrics, nodes }];
    progress.evaluations.push({ iteration: k, metrics });
    if (k < spec.iterations && workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof emRun>({
        ...input,
        run_id: runId,
        carry: { prepared, policy, inference, next_iteration: k + 1, summaries },
      });
    }
  }

  stage('report');
  const report = await cpu.writeRunReport({ run_id: runId, spec_name: spec.name, iterations: summaries });
  stage('done');
  return { run_id: runId, policy, report, iterations: summaries };
}

async function initialPolicy(prepared: PreparedRun): Promise<PolicyRef> {
  const source = prepared.spec.policy;
  if ('checkpoint' in source) return { uri: source.checkpoint, key: prepared.initial_policy_key };
  if ('hub' in source) {
    const cpu = proxyActivities<typeof services>(activityOptions(TASK_QUEUES.cpu, '6 hours'));
    const ref = await cpu.hubPull({ repo: source.hub, type: 'model', revision: source.revision });
    return { uri: ref.uri, key: ref.key };
  }
  if (!prepared.demonstrations) throw new Error('a bootstrapped policy needs demonstrations');
  const gpu = proxyActivities<GpuActivities>(activityOptions(TASK_QUEUES.gpu, '6 hours'));
  if ('sft' in source) {
    // Code4Math: the base (pulled from the Hub, or the checkpoint prepareRun found) fine-tuned on the
    // demonstrations. Content-addressed on the worker by (hyper, demonstrations, base): a rerun is a
    // cache hit, an interrupted one resumes from its last step checkpoint.
    const base = prepared.base;
    if (!base) throw new Error('a Code4Math policy needs its base resolved by prepareRun');
    let basePolicy: PolicyRef;
    if ('hub' in base) {
      const cpu = proxyActivities<typeof services>(activityOptions(TASK_QUEUES.cpu, '6 hours'));
      const ref = await cpu.hubPull({ repo: base.hub, type: 'model', revision: base.revision });
      basePolicy = { uri: ref.uri, key: ref.key };
    } else basePolicy = base.checkpoint;
    const out = await gpu.policy_sft({
      demonstrations: prepared.demonstrations,
      base_policy: basePolicy,
      hyper: source.sft.with,
    });
    return { uri: out.checkpoint.uri, key: out.checkpoint.key };
  }
  const out = await gpu.policy_sft({ demonstrations: prepared.demonstrations, hyper: source.bootstrap.with });
  return { uri: out.checkpoint.uri, key: out.checkpoint.key };
}
