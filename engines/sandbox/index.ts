// The code sandbox the rollout tool loop calls: a pool of warm, isolated Python workers.

export { formatToolOutput, TOOL_OUTPUT_MAX_CHARS, truncateMiddle } from './format';
export { sandboxInfo } from './isolation';
export { resolveOptions, SandboxPool } from './pool';
export { closeSharedSandboxPool, sharedSandboxPool } from './shared';
export type { ExecResult, Isolation, SandboxInfo, SandboxOptions } from './types';
