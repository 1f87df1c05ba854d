// Sets up and updates Temporal's PostgreSQL schemas with the server's own SQL tool (temporal-sql-tool),
// from the versioned schema dirs of the pinned server module. Both steps are idempotent: setup-schema
// only creates the version tables, update-schema applies the versions a database does not have yet.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLUSTER_INSTALL_HINT, clusterBinaries } from './layout';

const run = promisify(execFile);

export interface SchemaTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** 'temporal' (the default store) or 'visibility'. */
  kind: 'temporal' | 'visibility';
}

export class SchemaError extends Error {}

/** The tool's colour codes (ESC [ … m). */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** The tool logs lines with a JSON tail; the reasons are their "error" fields (first cause first). */
function reason(output: string): string {
  const errors = [...output.matchAll(/"error":\s*"((?:[^"\\]|\\.)*)"/g)].map(
    (m) => JSON.parse(`"${m[1]}"`) as string,
  );
  if (errors.length > 0) return [...new Set(errors)].join('; ');
  return output.replace(ANSI_COLOUR, '').trim().split('\n').slice(-3).join(' ').slice(0, 500);
}

export async function setupSchema(t: SchemaTarget): Promise<void> {
  const bin = clusterBinaries();
  if (!existsSync(bin.sqlTool))
    throw new SchemaError(`temporal-sql-tool is missing (${bin.sqlTool}): ${CLUSTER_INSTALL_HINT}`);
  const dir = join(bin.schema, t.kind, 'versioned');
  if (!existsSync(dir))
    throw new SchemaError(`the schema files are missing (${dir}): ${CLUSTER_INSTALL_HINT}`);
  const common = ['--plugin', 'postgres12', '--ep', t.host, '-p', String(t.port), '--db', t.database];
  // The password goes by environment, not argv, so `ps` does not show it.
  const env = { ...process.env, SQL_USER: t.user, SQL_PASSWORD: t.password };
  for (const step of [
    ['setup-schema', '-v', '0.0'],
    ['update-schema', '-d', dir],
  ]) {
    try {
      await run(bin.sqlTool, [...common, ...step], { env, timeout: 300_000 });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new SchemaError(
        `PostgreSQL at ${t.host}:${t.port} refused Temporal's ${t.kind} schema in database "${t.database}" ` +
          `for role "${t.user}" (${step[0]}): ${reason(`${e.stdout ?? ''}\n${e.stderr ?? ''}`) || e.message}`,
      );
    }
  }
}
