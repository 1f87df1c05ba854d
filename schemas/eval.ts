// What an evaluation of one checkpoint takes: the evalRun workflow's input (also the nightly one's).
import type { ExtractionPolicy } from './grader';
import type { PromptSpecInput } from './prompt';

export interface EvalRunInput {
  /** A checkpoint directory (or file:// URI), or "latest:<runId>": the last policy of that EM run. */
  checkpoint: string;
  /** Registry names (datasets/benchmarks.ts, e.g. "gsm8k", "math500") or "tiny_world". */
  benchmarks: string[];
  /** Default all three. */
  modes?: ('cot' | 'code' | 'auto')[];
  /** The first N queries of each benchmark. */
  limit?: number;
  /** k Monte-Carlo samples per query and dictated mode for selection labels; 0/absent: none. */
  selection_labels?: number;
  /** Defaults 2000 and 5; the tiny world keeps its own 64 and 2 unless given. */
  max_tokens?: number;
  max_rounds?: number;
  /** The prompt format (preset, format, system, stop); default raw. A bad preset fails evalPrepare. */
  prompt?: PromptSpecInput;
  /**
   * Which answers count as a response's final one (docs/grader.md). Default lenient, as the evaluate
   * node's: an evaluation asks whether the model solved the problem, and nothing is trained on it.
   */
  extraction?: ExtractionPolicy;
  /** The tiny world's eval set (default pipelines/tiny.yaml's: seed 3, 100 per family). */
  tiny_world?: { seed?: number; per_family?: number };
  /** Default: the Python worker's embedded server. External servers load the checkpoint first unless reload is false. */
  inference?:
    | { embedded: { port: number; replicas?: number } }
    | { endpoints: { urls: string[]; model: string; max_concurrency: number; reload?: boolean } };
  /** Default: the workflow id. */
  eval_id?: string;
}
