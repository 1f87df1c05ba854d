// The injected pieces the tool loop needs: something that runs code and something that grades.

/** Runs one program; `text` is what goes into the output block (stdout, or the error). */
export interface ToolExecutor {
  execute(code: string): Promise<{ text: string }>;
}

export interface Judgement {
  /** 1 correct, 0 not (the estimate averages it). */
  reward: number;
  final_answer: string | null;
}

export type RewardFn = (gold: string, responseText: string) => Judgement | Promise<Judgement>;

/** Adapts the sandbox pool (`run` + `formatToolOutput`) to a ToolExecutor. */
export function executorFrom<R>(
  pool: { run(code: string): Promise<R> },
  format: (result: R, maxChars: number) => string,
  maxChars: number,
): ToolExecutor {
  return { execute: async (code) => ({ text: format(await pool.run(code), maxChars) }) };
}

/**
 * Adapts the grader's `grade(gold, response, {extraction})` to a RewardFn (undecidable counts as
 * wrong). `extraction` is the grader's policy name; absent, the grader's default (strict).
 */
export function rewardFrom<E extends string>(
  grade: (
    gold: string,
    response: string,
    opts?: { extraction?: E },
  ) => { equal: boolean | null; extracted: string | null },
  extraction?: E,
): RewardFn {
  const opts = extraction === undefined ? {} : { extraction };
  return (gold, response) => {
    const v = grade(gold, response, opts);
    return { reward: v.equal === true ? 1 : 0, final_answer: v.extracted };
  };
}
