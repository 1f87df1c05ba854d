// Passwords of the cluster's PostgreSQL roles: made once per var dir, kept 0600 beside the data.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ClusterSecrets {
  pg_superuser_password: string;
  temporal_user: string;
  temporal_password: string;
}

export function loadSecrets(file: string): ClusterSecrets {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ClusterSecrets;
  } catch {
    const secrets: ClusterSecrets = {
      pg_superuser_password: randomBytes(18).toString('base64url'),
      temporal_user: 'temporal',
      temporal_password: randomBytes(18).toString('base64url'),
    };
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, file);
    return secrets;
  }
}
