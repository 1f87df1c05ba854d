// `autocode eval`: the workflow input built from the command line, and the printed tables.
import { describe, expect, it } from 'vitest';
import { EXTRACTION_OPTION, evalInput, failureMessage, formatEvalResult } from '../../cli/commands/eval';
import { EvaluateParams } from '../../schemas/nodes';

describe('autocode eval input', () => {
  it('takes a checkpoint path relative to the working directory, or a run', () => {
    expect(evalInput('ckpt/a', { benchmarks: ['gsm8k,math500'] }, '/w')).toEqual({
      checkpoint: '/w/ckpt/a',
      benchmarks: ['gsm8k', 'math500'],
    });
    expect(evalInput(undefined, { benchmarks: ['tiny_world'], run: 'tiny-1', perFamily: 5 }, '/w')).toEqual({
      checkpoint: 'latest:tiny-1',
      benchmarks: ['tiny_world'],
      tiny_world: { per_family: 5 },
    });
    expect(
      evalInput('latest:r', { benchmarks: ['a', 'b'], modes: 'cot,auto', selectionLabels: 10 }).checkpoint,
    ).toBe('latest:r');
    expect(
      evalInput('latest:r', { benchmarks: ['a'], modes: 'cot,auto', selectionLabels: 10 }),
    ).toMatchObject({
      modes: ['cot', 'auto'],
      selection_labels: 10,
    });
    expect(evalInput('/c', { benchmarks: ['gsm8k'], prompt: 'qwen25_math' })).toMatchObject({
      prompt: { preset: 'qwen25_math' },
    });
  });

  it('refuses what cannot run, naming the option', () => {
    expect(() => evalInput(undefined, { benchmarks: ['gsm8k'] })).toThrow(/--run/);
    expect(() => evalInput('/c', { benchmarks: ['gsm8k'], run: 'r' })).toThrow(/exactly one/);
    expect(() => evalInput('/c', {})).toThrow(/--benchmarks/);
    expect(() => evalInput('/c', { benchmarks: ['gsm8k'], modes: 'cot,prose' })).toThrow(/--modes: prose/);
  });

  it('grades leniently unless --extraction strict is given, and refuses another policy', () => {
    expect(evalInput('/c', { benchmarks: ['gsm8k'] })).not.toHaveProperty('extraction');
    expect(EvaluateParams.parse({}).extraction).toBe('lenient');
    const strict = evalInput('/c', { benchmarks: ['gsm8k'], extraction: EXTRACTION_OPTION.parse('strict') });
    expect(strict.extraction).toBe('strict');
    expect(() => EXTRACTION_OPTION.parse('loose')).toThrow(
      '--extraction must be one of strict, lenient, got loose',
    );
  });

  it('prints accuracy, code rate and gain per benchmark, and selection metrics when present', () => {
    const text = formatEvalResult({
      eval_id: 'e',
      checkpoint: { uri: '/c', key: 'k' },
      metrics: {
        'gsm8k.cot.accuracy': 0.5,
        'gsm8k.code.accuracy': 0.6,
        'gsm8k.auto.accuracy': 0.65,
        'gsm8k.auto.code_rate': 0.25,
        'gsm8k.auto.gain': 0.05,
        'gsm8k.selection.n': 4,
        'gsm8k.selection.macc': 0.75,
        'gsm8k.selection.confusion.cot.cot': 1,
        'gsm8k.selection.confusion.tie.code': 2,
        'tw/add.auto.accuracy': 1,
        'tw.auto.accuracy': 0.5,
      },
      summary: { kind: 'eval_summary', key: 'k', uri: '/s', sha256: 's', rows: 1, schema_version: 1 },
      results: {},
      report: '/r/result.json',
    });
    expect(text).toContain('| gsm8k | 50.0 | 60.0 | 65.0 | - | - | 25.0 | +5.0 |');
    expect(text).toContain('| gsm8k | 4 | 75.0 |');
    expect(text).toContain('| 1/0/2 |');
    // A set before its families.
    expect(text.indexOf('| tw |')).toBeLessThan(text.indexOf('| tw/add |'));
    expect(text).toContain('result: /r/result.json');
  });

  it("reports the innermost failure's message", () => {
    const inner = new Error('unknown benchmark "x"');
    expect(
      failureMessage(new Error('workflow failed', { cause: new Error('activity', { cause: inner }) })),
    ).toBe(inner.message);
  });
});
