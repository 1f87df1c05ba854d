// Writes schemas/json/<Name>.schema.json for each wire type (the Python worker validates against them)
// and for the pipeline spec with each node kind's parameters from the registry (for editors).
// Run: npx tsx pipelines/export-json-schema.ts   (a test fails when the committed files are stale)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { NODE_KINDS } from '../nodes/registry';
import { WIRE_TYPES } from '../schemas/wire';
import { NodeSpec, PipelineSpec } from './spec';

export const JSON_SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas', 'json');

/**
 * The spec with every node's `with` (and `defaults.<kind>`) typed by its kind's parameter schema from
 * the registry: an editor completes and checks parameters. Fields are optional there, since a node's
 * `with` only overrides the kind's defaults; cross-field rules stay the validator's.
 */
function specForEditors() {
  const withOf = (k: (typeof NODE_KINDS)[keyof typeof NODE_KINDS]) =>
    z
      .object((k.params as unknown as z.ZodObject).shape)
      .partial()
      .strict();
  const kinds = Object.values(NODE_KINDS);
  const nodes = kinds.map((k) => NodeSpec.extend({ uses: z.literal(k.uses), with: withOf(k).optional() }));
  return PipelineSpec.extend({
    defaults: z
      .object(Object.fromEntries(kinds.map((k) => [k.uses, withOf(k)])))
      .partial()
      .strict()
      .optional(),
    iteration: z.object({ nodes: z.array(z.union(nodes)).min(1) }).strict(),
  });
}

export function renderJsonSchemas(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, type] of Object.entries(WIRE_TYPES)) {
    const schema = z.toJSONSchema(type, { io: 'input', target: 'draft-2020-12' });
    out.set(`${name}.schema.json`, `${JSON.stringify({ title: name, ...schema }, null, 2)}\n`);
  }
  // The pipeline spec's schema, for editors and for users validating YAML outside the CLI.
  const spec = z.toJSONSchema(specForEditors(), { io: 'input', target: 'draft-2020-12' });
  out.set('PipelineSpec.schema.json', `${JSON.stringify({ title: 'PipelineSpec', ...spec }, null, 2)}\n`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(JSON_SCHEMA_DIR, { recursive: true });
  for (const [file, text] of renderJsonSchemas()) writeFileSync(join(JSON_SCHEMA_DIR, file), text);
  console.log(`wrote ${Object.keys(WIRE_TYPES).length + 1} schemas to ${JSON_SCHEMA_DIR}`);
}
