import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, TOOLS } from '../../infra/paths';
import { JSON_SCHEMA_DIR, renderJsonSchemas } from '../../pipelines/export-json-schema';
import { applyOverrides, readSpecFile } from '../../pipelines/load';

describe('JSON Schema export for the Python worker', () => {
  it('committed schemas/json files match the zod wire types (run: npx tsx pipelines/export-json-schema.ts)', () => {
    const rendered = renderJsonSchemas();
    expect(rendered.size).toBeGreaterThan(0);
    for (const [file, text] of rendered) {
      expect(readFileSync(join(JSON_SCHEMA_DIR, file), 'utf8'), file).toBe(text);
    }
  });
});

describe('the pipeline spec JSON Schema (for editors)', () => {
  // Checked by the Python jsonschema the gpu worker uses: an independent implementation of the format.
  const check = (specs: Record<string, unknown>): Record<string, string | null> => {
    const code = [
      'import json, sys',
      'from jsonschema import Draft202012Validator',
      'v = Draft202012Validator(json.load(open(sys.argv[1])))',
      'out = {}',
      'for name, spec in json.load(sys.stdin).items():',
      '    e = sorted(v.iter_errors(spec), key=lambda e: len(list(e.absolute_path)))',
      "    out[name] = None if not e else '/'.join(str(p) for p in e[-1].absolute_path)",
      'print(json.dumps(out))',
    ].join('\n');
    const r = spawnSync(TOOLS.python, ['-c', code, join(JSON_SCHEMA_DIR, 'PipelineSpec.schema.json')], {
      input: JSON.stringify(specs),
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as Record<string, string | null>;
  };

  it("accepts every committed spec and types each node's `with` by its kind", () => {
    const specs = Object.fromEntries(
      readdirSync(join(ROOT, 'pipelines'))
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => [f, readSpecFile(join(ROOT, 'pipelines', f))]),
    );
    expect(Object.keys(specs).length).toBeGreaterThan(3);
    for (const [name, problem] of Object.entries(check(specs))) expect(problem, name).toBeNull();

    const tiny = readSpecFile(join(ROOT, 'pipelines', 'tiny.yaml')) as {
      iteration: { nodes: { uses: string; with?: Record<string, unknown> }[] };
    };
    const withParam = (uses: string, w: Record<string, unknown>) => {
      const copy = structuredClone(tiny);
      const node = copy.iteration.nodes.find((n) => n.uses === uses)!;
      node.with = { ...node.with, ...w };
      return copy;
    };
    const verdicts = check({
      // A parameter of another kind, a wrong type, an unknown kind: each refused.
      foreign: withParam('estimate', { samples: 4 }),
      typo: withParam('synthesize', { max_per_query: 'eight' }),
      unknown: applyOverrides(tiny, { 'iteration.nodes': [{ id: 'x', uses: 'nonesuch' }] }),
      fine: withParam('estimate', { alpha: 0.5 }),
    });
    expect(verdicts.foreign).not.toBeNull();
    expect(verdicts.typo).not.toBeNull();
    expect(verdicts.unknown).not.toBeNull();
    expect(verdicts.fine).toBeNull();
  });
});
