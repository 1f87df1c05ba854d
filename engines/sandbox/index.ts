// The code sandbox the rollout tool loop calls: a pool of warm, isolated Python workers.

export {
  CACHE_DEFAULTS,
  type CacheablePool,
  type CachedRunner,
  clearExecutionCaches,
  countingRunner,
  ExecutionCache,
  type ExecutionCacheLimits,
  type ExecutionCacheStats,
  executionCacheFor,
  executionCacheMetrics,
  MAX_CACHED_RUNS,
} from './cache';
export {
  ALLOWED_MODULES,
  DENIED_NAMES,
  resultVerdict,
  type StaticVerdict,
  staticVerdict,
} from './determinism';
export { formatToolOutput, TOOL_OUTPUT_MAX_CHARS, truncateMiddle } from './format';
export { sandboxInfo } from './isolation';
export { resolveOptions, resolvePoolSettings, SandboxPool } from './pool';
export { closeSharedSandboxPool, sharedSandboxPool } from './shared';
export type {
  ExecResult,
  ExecTrace,
  Isolation,
  PoolSettings,
  SandboxInfo,
  SandboxOptions,
  TracedExecResult,
} from './types';
export { POOL_DEFAULTS } from './types';
