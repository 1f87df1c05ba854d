// The activity types the Python worker registers on task queue `gpu`: names are snake_case, as in Python.
import type { BehaviorLogprobsInput, BehaviorLogprobsOutput } from './behavior';
import type {
  PolicyLoadInput,
  PolicyLoadOutput,
  PolicyLogprobsInput,
  PolicyLogprobsOutput,
  PolicySftInput,
  PolicyTrainOutput,
  PolicyUpdateInput,
} from './policy';
import type { GpuEchoInput, WorkerEcho } from './smoke';

export interface GpuActivities {
  gpu_echo(input: GpuEchoInput): Promise<WorkerEcho>;
  /** Serves a checkpoint on the worker's embedded OpenAI-compatible server (starts it, or reloads its weights). */
  policy_load(input: PolicyLoadInput): Promise<PolicyLoadOutput>;
  /** Bootstrap SFT on a demonstrations dataset (from scratch for the tiny world, or from a checkpoint). */
  policy_sft(input: PolicySftInput): Promise<PolicyTrainOutput>;
  /** The off-policy update (M-step) on a train set with behaviour log-probs. */
  policy_update(input: PolicyUpdateInput): Promise<PolicyTrainOutput>;
  /** Behaviour log-probs under a checkpoint for a dataset that lacks them. */
  policy_logprobs(input: PolicyLogprobsInput): Promise<PolicyLogprobsOutput>;
  /** Behaviour log-probs of every train row in its exact training context, and the drift record. */
  behavior_logprobs(input: BehaviorLogprobsInput): Promise<BehaviorLogprobsOutput>;
}
