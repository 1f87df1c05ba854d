import { Readable } from 'node:stream';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { execCode, readAll, register } from '../../cli/commands/exec';

describe('autocode exec', () => {
  it('registers an exec command with its limits as options', () => {
    const program = new Command();
    register(program);
    const cmd = program.commands.find((c) => c.name() === 'exec');
    expect(cmd?.options.map((o) => o.long)).toEqual(['--timeout-ms', '--memory-mb', '--output-limit']);
    expect(() => cmd?.parseOptions(['--timeout-ms', 'soon'])).toThrow(
      '--timeout-ms must be a positive integer, got soon',
    );
  });

  it('runs code read from a stream and reports result, isolation and tool output', async () => {
    const code = await readAll(Readable.from(['import sympy as sp\n', 'print(sp.factorial(5))\n', 'oops']));
    const report = await execCode(code, { timeoutMs: 3000 });
    expect(report).toMatchObject({
      stdout: '120\n',
      error: "NameError: name 'oops' is not defined",
      timed_out: false,
      truncated: false,
      isolation: 'bubblewrap',
      tool_output: "NameError: name 'oops' is not defined",
    });
  });
});
