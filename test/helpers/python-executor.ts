// A plain tool executor for tests until the sandbox pool is wired in: one real CPython process per call
// (isolated mode, wall timeout), stdout or the traceback's last line as the output text.
import { spawn } from 'node:child_process';
import type { ToolExecutor } from '../../engines/rollouts/tools';
import { TOOLS } from '../../infra/paths';

export function pythonExecutor(timeoutMs = 5000): ToolExecutor & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    execute(code) {
      calls.push(code);
      return new Promise((resolve, reject) => {
        const child = spawn(TOOLS.python, ['-I', '-c', code], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString('utf8');
        });
        child.stderr.on('data', (b: Buffer) => {
          err += b.toString('utf8');
        });
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.on('error', reject);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          if (signal) return resolve({ text: `TimeoutError: execution exceeded ${timeoutMs} ms` });
          if (code !== 0) return resolve({ text: err.trim().split('\n').pop() ?? `exit ${code}` });
          resolve({ text: out });
        });
      });
    },
  };
}
