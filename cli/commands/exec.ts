// `autocode exec`: runs Python read from stdin in the code sandbox, exactly as a rollout's tool
// call would, and prints the JSON result — for debugging what the model's code does.
import type { Command } from 'commander';
import { type ExecResult, formatToolOutput, SandboxPool, sandboxInfo } from '../../engines/sandbox/index';
import type { Isolation } from '../../engines/sandbox/types';
import { positiveInt } from '../options';

export interface ExecCommandOptions {
  timeoutMs?: number;
  memoryMb?: number;
  outputLimit?: number;
}

export interface ExecReport extends ExecResult {
  isolation: Isolation;
  /** What the tool loop would place in the ```output block. */
  tool_output: string;
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs one snippet in a one-slot pool and reports the result with the isolation in use. */
export async function execCode(code: string, o: ExecCommandOptions = {}): Promise<ExecReport> {
  const pool = await SandboxPool.start({
    size: 1,
    timeoutMs: o.timeoutMs,
    memoryMb: o.memoryMb,
    outputLimitBytes: o.outputLimit,
  });
  try {
    const result = await pool.run(code);
    return { ...result, isolation: sandboxInfo().isolation, tool_output: formatToolOutput(result) };
  } finally {
    await pool.close();
  }
}

export function register(program: Command): void {
  program
    .command('exec')
    .description('run Python from stdin in the code sandbox and print the JSON result')
    .option('--timeout-ms <ms>', 'wall timeout (default 5000)', positiveInt('timeout-ms'))
    .option('--memory-mb <mb>', 'address-space limit (default 2048)', positiveInt('memory-mb'))
    .option('--output-limit <bytes>', 'stdout bytes kept (default 65536)', positiveInt('output-limit'))
    .action(async (opts: ExecCommandOptions) => {
      const code = await readAll(process.stdin);
      const report = await execCode(code, opts);
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      // Non-zero when the code failed, so shell scripts can tell.
      process.exitCode = report.error === null ? 0 : 1;
    });
}
