import { describe, expect, it } from 'vitest';
import { type ExecResult, formatToolOutput, TOOL_OUTPUT_MAX_CHARS } from '../../engines/sandbox/index';

const ok = (stdout: string): ExecResult => ({
  stdout,
  error: null,
  timed_out: false,
  duration_ms: 1,
  truncated: false,
});

describe('formatToolOutput (the ```output block, ToRA/Qwen2.5-Math convention)', () => {
  it('shows stripped stdout, or "Done" when the code printed nothing', () => {
    expect(formatToolOutput(ok('  42\n'))).toBe('42');
    expect(formatToolOutput(ok('\n'))).toBe('Done');
  });

  it('shows only the error line when there is an error, and "Timeout Error" on timeout', () => {
    expect(formatToolOutput({ ...ok('partial\n'), error: "NameError: name 'x' is not defined" })).toBe(
      "NameError: name 'x' is not defined",
    );
    expect(formatToolOutput({ ...ok('1\n'), error: 'Timeout Error', timed_out: true })).toBe('Timeout Error');
  });

  it('cuts long text to head and tail around "..."', () => {
    const long = `${'a'.repeat(300)}${'b'.repeat(300)}`;
    const out = formatToolOutput(ok(long));
    expect(TOOL_OUTPUT_MAX_CHARS).toBe(400);
    expect(out).toBe(`${'a'.repeat(200)}...${'b'.repeat(200)}`);
    expect(formatToolOutput(ok('abcdefghij'), 4)).toBe('ab...ij');
    expect(formatToolOutput(ok('abcd'), 4)).toBe('abcd');
  });
});
