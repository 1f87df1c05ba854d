import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CLI_EXTRACTION, gradeLine, gradeStream } from '../../cli/commands/grade';
import { autocode } from '../helpers/cli';

describe('autocode grade', () => {
  it('grades pred lines and response lines; a response line says where its answer came from and why', () => {
    expect(gradeLine('{"gold": "\\\\frac{3}{4}", "pred": "0.75"}', 1)).toEqual({
      equal: true,
      extracted: '0.75',
      reason: 'fraction',
    });
    expect(gradeLine('{"gold": "18", "response": "so\\n#### 18"}', 1)).toEqual({
      equal: true,
      extracted: '18',
      reason: 'exact',
      source: 'gsm8k',
      why: expect.any(String),
    });
    expect(gradeLine('{"gold": "18", "response": "so\\n#### 18"}', 1, { extraction: 'strict' })).toEqual({
      equal: true,
      extracted: '18',
      reason: 'exact',
      source: 'gsm8k',
      why: expect.any(String),
    });
    expect(gradeLine('{"gold": "18", "response": "I cannot say."}', 1, { extraction: 'strict' })).toEqual({
      equal: false,
      extracted: null,
      reason: 'no_answer',
      source: 'none',
      why: expect.stringMatching(/\S/),
    });
  });

  it('extracts leniently by default (people evaluating outputs) and strictly on request (the reward)', () => {
    const line = JSON.stringify({ gold: '42', response: 'So we get $ 42 $.' });
    const lenient = gradeLine(line, 1);
    expect(lenient).toMatchObject({ equal: true, extracted: '42', source: 'last_math' });
    expect(lenient.why).toMatch(/\S/);
    expect(gradeLine(line, 1, { extraction: 'lenient' })).toEqual(lenient);
    expect(gradeLine(line, 1, { extraction: 'strict' })).toMatchObject({
      equal: false,
      extracted: null,
      reason: 'no_answer',
      source: 'none',
    });
    expect(CLI_EXTRACTION).toBe('lenient');
  });

  it('refuses an unknown --extraction, naming the option and the allowed values', async () => {
    const r = await autocode(['grade', '--extraction', 'loose'], {});
    expect(r.code).toBe(1);
    expect(r.err).toContain('--extraction must be one of strict, lenient, got loose');
    const ok = await autocode(['grade', '--help'], {});
    expect(ok.out).toMatch(/--extraction <policy>[\s\S]*lenient\s+\(default/);
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
