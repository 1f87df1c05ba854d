// The rollout engine: inference client, tool loop, prompts, default reward, adaptive budget, shard runner.
export { type MethodTally, settledDecision } from './adaptive';
export {
  type ClientStats,
  type CompletionResult,
  type Generation,
  InferenceClient,
  InferenceError,
  type InferenceErrorKind,
} from './client';
export { boundOutput, lastPythonBlock, methodOf, outputBlock } from './code';
export { RolloutInputError } from './errors';
export { readGenerations } from './parse';
export { addSpecialTokens, renderPrompt } from './prompts';
export { defaultReward, extractAnswer, lastBoxed, toNumber } from './reward';
export {
  type RolloutDeps,
  type RolloutQuery,
  runRolloutShard,
  type ShardContext,
  type ShardProgress,
} from './shard';
export { deriveSeed, type Generator, type LoopParams, type Response, sampleResponses } from './tool-loop';
export { executorFrom, type Judgement, type RewardFn, rewardFrom, type ToolExecutor } from './tools';
