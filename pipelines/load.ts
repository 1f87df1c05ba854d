// Reads a pipeline spec from YAML (or JSON), applies dotted overrides, and validates it.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { parseDocument } from 'yaml';
import { ROOT } from '../infra/paths';
import { type ResolvedSpec, SpecError, type ValidateOptions, validateSpec } from './validate';

/** `tiny` → pipelines/tiny.yaml; a path is taken as it is. */
export function resolveSpecPath(nameOrPath: string): string {
  if (/^[a-z0-9_-]+$/i.test(nameOrPath)) return join(ROOT, 'pipelines', `${nameOrPath}.yaml`);
  return isAbsolute(nameOrPath) ? nameOrPath : join(process.cwd(), nameOrPath);
}

export function parseSpecText(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new SpecError(
      doc.errors.map((e) => ({ path: source, message: e.message.split('\n')[0] ?? e.message })),
    );
  }
  return doc.toJS();
}

export function readSpecFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new SpecError([{ path, message: `cannot read the spec: ${(err as Error).message}` }]);
  }
  return parseSpecText(text, path);
}

/** Sets `a.b.c=value` style overrides on a parsed spec (values parsed as YAML scalars). */
export function applyOverrides(spec: unknown, overrides: Record<string, unknown>): unknown {
  const copy = structuredClone(spec) as Record<string, unknown>;
  for (const [path, value] of Object.entries(overrides)) {
    const keys = path.split('.');
    let cursor: Record<string, unknown> = copy;
    keys.slice(0, -1).forEach((k) => {
      const next = cursor[k];
      if (typeof next !== 'object' || next === null) cursor[k] = {};
      cursor = cursor[k] as Record<string, unknown>;
    });
    cursor[keys[keys.length - 1] as string] = value;
  }
  return copy;
}

export function loadSpec(
  nameOrPath: string,
  overrides: Record<string, unknown> = {},
  opts: ValidateOptions = {},
): ResolvedSpec {
  return validateSpec(applyOverrides(readSpecFile(resolveSpecPath(nameOrPath)), overrides), opts);
}
