// What the run and iteration workflows answer to the `progress` query (and `autocode watch` shows).
import type { Metrics, PolicyRef } from './run';

export type NodeState = 'pending' | 'running' | 'done' | 'cached' | 'failed';

export interface IterationProgress {
  run_id: string;
  iteration: number;
  stage: string;
  nodes: Record<
    string,
    {
      uses: string;
      state: NodeState;
      metrics?: Metrics;
      /** The node's heartbeat timeout when it is not the default (a spec's `heartbeat_timeout`). */
      heartbeat_timeout?: string;
    }
  >;
}

export interface RunProgress {
  run_id: string;
  spec: string | null;
  stage: string;
  iteration: number;
  iterations: number;
  policy: PolicyRef | null;
  /** Evaluation metrics per finished iteration (0: the starting policy). */
  evaluations: { iteration: number; metrics: Metrics }[];
  error: string | null;
}

/** What an `evalRun` answers to the `progress` query. */
export interface EvalProgress {
  eval_id: string;
  stage: string;
  checkpoint: PolicyRef | null;
  /** Per benchmark: pending | running | done | cached | failed. */
  benchmarks: Record<string, NodeState>;
  metrics: Metrics | null;
}
