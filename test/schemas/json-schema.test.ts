import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JSON_SCHEMA_DIR, renderJsonSchemas } from '../../pipelines/export-json-schema';

describe('JSON Schema export for the Python worker', () => {
  it('committed schemas/json files match the zod wire types (run: npx tsx pipelines/export-json-schema.ts)', () => {
    const rendered = renderJsonSchemas();
    expect(rendered.size).toBeGreaterThan(0);
    for (const [file, text] of rendered) {
      expect(readFileSync(join(JSON_SCHEMA_DIR, file), 'utf8'), file).toBe(text);
    }
  });
});
