import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FAMILIES, family } from '../../datasets/tiny-world/families';
import {
  nativeUsesCode,
  REFLECTIVE_EVERY,
  tinyWorldDemonstrations,
  tinyWorldQueries,
} from '../../datasets/tiny-world/generate';
import { HINT_AFTER_CODE, HINT_AFTER_COT } from '../../schemas/em';

const boxed = (text: string) => /\\boxed\{([^}]*)\}/.exec(text)?.[1];

describe('the tiny world', () => {
  it('is deterministic for a seed and differs across seeds and splits', () => {
    const a = tinyWorldQueries({ seed: 7, per_family: 20, split: 'train' });
    expect(tinyWorldQueries({ seed: 7, per_family: 20, split: 'train' })).toEqual(a);
    const other = tinyWorldQueries({ seed: 8, per_family: 20, split: 'train' });
    const test = tinyWorldQueries({ seed: 7, per_family: 20, split: 'test' });
    expect(other.map((q) => q.question)).not.toEqual(a.map((q) => q.question));
    expect(test.map((q) => q.question)).not.toEqual(a.map((q) => q.question));
    expect(new Set(a.map((q) => q.query_id)).size).toBe(a.length);
  });

  it('gives every family the same number of queries, gold answers that are the true results', () => {
    const qs = tinyWorldQueries({ seed: 1, per_family: 50, split: 'test' });
    expect(qs).toHaveLength(50 * FAMILIES.length);
    for (const q of qs) {
      const { family: name } = JSON.parse(q.meta) as { family: string };
      const nums = (q.question.match(/\d+/g) ?? []).map(Number);
      if (name === 'add') expect(Number(q.answer)).toBe(nums[0]! + nums[1]!);
      if (name === 'mul') expect(Number(q.answer)).toBe(nums[0]! * nums[1]!);
      if (name === 'compare') expect(Number(q.answer)).toBe(Math.max(nums[0]!, nums[1]!));
      if (name === 'pick') expect(Number(q.answer)).toBe(q.question.includes('first') ? nums[0] : nums[11]);
    }
  });

  it("native demonstrations use code in each family's share: the prior skewed against the better method", () => {
    // 7,500 per family (the tiny spec) -> 2,500 native each: 50% on add/compare; on mul 2% = 50
    // programs; on pick 98% = 2,450 programs (so 50 in prose).
    const demos = tinyWorldDemonstrations({ seed: 1, per_family: 7500 });
    const codeShare = (name: string) => {
      const native = demos.filter((d) => d.family === name && d.mode === 'native' && d.attempt === null);
      expect(native).toHaveLength(2500);
      return native.filter((d) => d.method === 'code').length;
    };
    expect([codeShare('add'), codeShare('mul'), codeShare('pick'), codeShare('compare')]).toEqual([
      1250, 50, 2450, 1250,
    ]);
    expect(family('mul').favours).toBe('code');
    expect(family('pick').favours).toBe('cot');
    // Evenly spread: the first 100 native demonstrations of mul hold 2 programs, not 0 or 50.
    expect(Array.from({ length: 100 }, (_, j) => nativeUsesCode(j, 0.02)).filter(Boolean)).toHaveLength(2);
  });

  it('demonstrations are a third per mode, all correct', () => {
    const demos = tinyWorldDemonstrations({ seed: 3, per_family: 60 });
    for (const f of FAMILIES) {
      const mine = demos.filter((d) => d.family === f.name && d.attempt === null);
      expect(mine).toHaveLength(60);
      expect(mine.filter((d) => d.mode === 'dictated_cot').every((d) => d.method === 'cot')).toBe(true);
      expect(mine.filter((d) => d.mode === 'dictated_code').every((d) => d.method === 'code')).toBe(true);
      const native = mine.filter((d) => d.mode === 'native');
      expect(native).toHaveLength(20);
      expect(native.filter((d) => d.method === 'code')).toHaveLength(Math.floor(20 * f.nativeCodeShare)); // floor(n * share) by construction;
      for (const d of mine) expect(boxed(d.response_text)).toBe(d.answer);
    }
  });

  it('reflective demonstrations: a wrong attempt, the hint for its method, a correct solution with the other', () => {
    const demos = tinyWorldDemonstrations({ seed: 3, per_family: 60 });
    for (const f of FAMILIES) {
      const reflective = demos.filter((d) => d.family === f.name && d.attempt !== null);
      expect(reflective).toHaveLength(60 / REFLECTIVE_EVERY);
      expect(new Set(reflective.map((d) => d.method))).toEqual(new Set(['cot', 'code']));
      for (const d of reflective) {
        const failed = d.method === 'cot' ? 'code' : 'cot';
        expect(d.mode).toBe('native');
        // As synthesize shows failed attempts: prose cut before its (wrong) final answer; a program
        // whole, through its output block and (wrong) answer (the authors'), no block left open.
        if (failed === 'cot') expect(d.attempt).not.toMatch(/boxed|The answer is/);
        else {
          expect(d.attempt).toMatch(/```python\n[\s\S]*\n```\n```output\n[\s\S]*\n```\n[\s\S]*\\boxed\{/);
          expect(boxed(d.attempt!)).not.toBe(d.answer);
        }
        expect(d.attempt!.length).toBeGreaterThan(0);
        expect(d.attempt!.includes('```python')).toBe(failed === 'code');
        expect(d.response_text.startsWith(`${failed === 'cot' ? HINT_AFTER_COT : HINT_AFTER_CODE}\n `)).toBe(
          true,
        );
        expect(d.response_text.includes('```python')).toBe(d.method === 'code');
        expect(boxed(d.response_text)).toBe(d.answer);
      }
    }
  });

  it('code demonstrations run in real Python and print what their output block shows', () => {
    const demos = tinyWorldDemonstrations({ seed: 5, per_family: 12 }).filter(
      (d) => d.method === 'code' && d.attempt === null,
    );
    const parts = demos.map((d) => {
      const m = /```python\n([\s\S]*?)\n```\n```output\n([\s\S]*?)\n```/.exec(d.response_text);
      expect(m, d.response_text).not.toBeNull();
      return { program: m![1]!, output: m![2]! };
    });
    // One interpreter for all programs: each runs in a fresh namespace with stdout captured.
    const script = [
      'import io, json, sys, contextlib',
      'progs = json.loads(sys.stdin.read())',
      'out = []',
      'for p in progs:',
      '    buf = io.StringIO()',
      '    with contextlib.redirect_stdout(buf): exec(p, {})',
      '    out.append(buf.getvalue().strip())',
      'print(json.dumps(out))',
    ].join('\n');
    const printed = JSON.parse(
      execFileSync('python3', ['-c', script], {
        input: JSON.stringify(parts.map((p) => p.program)),
      }).toString(),
    ) as string[];
    expect(printed).toEqual(parts.map((p) => p.output));
  });

  it('names the families on an unknown one', () => {
    expect(() => family('div')).toThrow(/unknown tiny-world family 'div'; known: add, mul, pick, compare/);
  });
});
