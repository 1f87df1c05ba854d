// The activity types the Python worker registers on task queue `gpu` besides its node kinds
// (behavior_logprobs, policy_update: NodeRequest in, NodeResult out, called like every node kind).
// Names are snake_case, as in Python.
import type {
  PolicyLoadInput,
  PolicyLoadOutput,
  PolicyLogprobsInput,
  PolicyLogprobsOutput,
  PolicySftInput,
  PolicyTrainOutput,
} from './policy';
import type { GpuEchoInput, WorkerEcho } from './smoke';

export interface GpuActivities {
  gpu_echo(input: GpuEchoInput): Promise<WorkerEcho>;
  /** Serves a checkpoint on the worker's embedded OpenAI-compatible server (starts it, or reloads its weights). */
  policy_load(input: PolicyLoadInput): Promise<PolicyLoadOutput>;
  /** Bootstrap SFT on a demonstrations dataset (from scratch for the tiny world, or from a checkpoint). */
  policy_sft(input: PolicySftInput): Promise<PolicyTrainOutput>;
  /** Behaviour log-probs under a checkpoint for a dataset that lacks them. */
  policy_logprobs(input: PolicyLogprobsInput): Promise<PolicyLogprobsOutput>;
}

/** The names above, for code that routes by name (the CLI's progress tells which queue waits). */
export const GPU_ACTIVITY_NAMES = [
  'gpu_echo',
  'policy_load',
  'policy_sft',
  'policy_logprobs',
] as const satisfies readonly (keyof GpuActivities)[];
