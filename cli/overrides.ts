// `-s key=value` overrides for specs: values are parsed as YAML scalars (numbers, booleans, lists).
import { parse } from 'yaml';

export function parseOverrides(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`override '${pair}' is not key=value`);
    out[pair.slice(0, eq)] = parse(pair.slice(eq + 1));
  }
  return out;
}
