import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { gradeLine, gradeStream } from '../../cli/commands/grade';

describe('autocode grade', () => {
  it('grades pred lines and response lines', () => {
    expect(gradeLine('{"gold": "\\\\frac{3}{4}", "pred": "0.75"}', 1)).toEqual({
      equal: true,
      extracted: '0.75',
      reason: 'fraction',
    });
    expect(gradeLine('{"gold": "18", "response": "so\\n#### 18"}', 1)).toEqual({
      equal: true,
      extracted: '18',
      reason: 'exact',
    });
    expect(gradeLine('{"gold": "18", "response": "no idea"}', 1)).toEqual({
      equal: false,
      extracted: null,
      reason: 'no_answer',
    });
  });

  it('accepts numeric golds (AMC) and lists of strings (OlympiadBench)', () => {
    expect(gradeLine('{"gold": 27.0, "pred": "27"}', 1).equal).toBe(true);
    expect(gradeLine('{"gold": ["11", "13"], "pred": "13, 11"}', 1).equal).toBe(true);
  });

  it('names the bad field and line', () => {
    expect(gradeLine('{"gold": {}, "pred": "1"}', 3).reason).toBe(
      'invalid input on line 3: "gold" must be a string, a number or a list of strings',
    );
    expect(gradeLine('{"gold": "1"}', 4).reason).toBe(
      'invalid input on line 4: missing "pred" or "response"',
    );
    expect(gradeLine('{"gold": "1", "response": 5}', 5).reason).toBe(
      'invalid input on line 5: "response" must be a string',
    );
    expect(gradeLine('not json', 6).reason).toMatch(/^invalid input on line 6: not JSON/);
  });

  it('streams one output line per non-blank input line and counts invalid ones', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const chunks: string[] = [];
    output.on('data', (c: Buffer) => chunks.push(c.toString()));
    input.end('{"gold": "1", "pred": "1"}\n\n{"gold": "2", "pred": "3"}\n{"gold": 1}\n');
    const counts = await gradeStream(input, output);
    const lines = chunks
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(counts).toEqual({ graded: 2, invalid: 1 });
    expect(lines.map((l) => l.equal)).toEqual([true, false, null]);
  });
});
