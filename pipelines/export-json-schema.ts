// Writes schemas/json/<Name>.schema.json for each wire type; the Python worker validates against them.
// Run: npx tsx pipelines/export-json-schema.ts   (a test fails when the committed files are stale)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { WIRE_TYPES } from '../schemas/wire';
import { PipelineSpec } from './spec';

export const JSON_SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas', 'json');

export function renderJsonSchemas(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, type] of Object.entries(WIRE_TYPES)) {
    const schema = z.toJSONSchema(type, { io: 'input', target: 'draft-2020-12' });
    out.set(`${name}.schema.json`, `${JSON.stringify({ title: name, ...schema }, null, 2)}\n`);
  }
  // The pipeline spec's schema, for editors and for users validating YAML outside the CLI.
  const spec = z.toJSONSchema(PipelineSpec, { io: 'input', target: 'draft-2020-12' });
  out.set('PipelineSpec.schema.json', `${JSON.stringify({ title: 'PipelineSpec', ...spec }, null, 2)}\n`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(JSON_SCHEMA_DIR, { recursive: true });
  for (const [file, text] of renderJsonSchemas()) writeFileSync(join(JSON_SCHEMA_DIR, file), text);
  console.log(`wrote ${Object.keys(WIRE_TYPES).length + 1} schemas to ${JSON_SCHEMA_DIR}`);
}
