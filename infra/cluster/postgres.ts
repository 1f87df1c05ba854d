// The cluster's private PostgreSQL instance under var/cluster/pg: initdb, start, stop, SQL as superuser.
// PostgreSQL refuses to run as root, so as root every server binary runs as the `postgres` OS user.
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLUSTER_INSTALL_HINT, type ClusterOptions, clusterFiles, pgBinDir } from './layout';
import type { ClusterSecrets } from './secrets';

const run = promisify(execFile);

export const PG_SUPERUSER = 'postgres';

function pgBin(tool: string): string {
  const dir = pgBinDir();
  const path = dir && join(dir, tool);
  if (!path || !existsSync(path)) {
    throw new Error(
      `PostgreSQL's ${tool} is missing (looked in /usr/lib/postgresql/*/bin): ${CLUSTER_INSTALL_HINT}`,
    );
  }
  return path;
}

/** uid/gid the server runs as: `postgres` when we are root, else ourselves. */
function pgOwner(): { uid: number; gid: number; asUser: string[] } {
  if (process.getuid?.() !== 0)
    return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, asUser: [] };
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const f = line?.split(':');
  if (!f?.[2] || !f[3])
    throw new Error(
      `running as root needs a 'postgres' OS user (Debian's package makes it): ${CLUSTER_INSTALL_HINT}`,
    );
  return { uid: Number(f[2]), gid: Number(f[3]), asUser: ['runuser', '-u', 'postgres', '--'] };
}

async function runPg(tool: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const owner = pgOwner();
  const [cmd, ...rest] = [...owner.asUser, pgBin(tool), ...args];
  const { stdout } = await run(cmd as string, rest, {
    env: { ...process.env, ...env },
    cwd: '/',
    timeout: 120_000,
  });
  return stdout;
}

function ownedDir(path: string): void {
  mkdirSync(path, { recursive: true });
  const { uid, gid } = pgOwner();
  chownSync(path, uid, gid);
}

/** Creates the data directory once, with the superuser's password; password auth on TCP only. */
export async function initPostgres(o: ClusterOptions, secrets: ClusterSecrets): Promise<void> {
  const f = clusterFiles(o.varDir);
  if (existsSync(join(f.pgData, 'PG_VERSION'))) return;
  rmSync(f.pgData, { recursive: true, force: true }); // a half-made data dir from an interrupted initdb
  ownedDir(f.pgData);
  const pwFile = join(tmpdir(), `autocode-pg-${process.pid}-${Date.now()}`);
  writeFileSync(pwFile, `${secrets.pg_superuser_password}\n`, { mode: 0o600 });
  const { uid, gid } = pgOwner();
  chownSync(pwFile, uid, gid);
  try {
    await runPg('initdb', [
      '-D',
      f.pgData,
      '-U',
      PG_SUPERUSER,
      '--pwfile',
      pwFile,
      '--auth-host=scram-sha-256',
      '--auth-local=peer',
      '-E',
      'UTF8',
      '--locale=C',
    ]);
  } finally {
    rmSync(pwFile, { force: true });
  }
  // Clients on other hosts (the frontend bound on a non-loopback address) authenticate by password too.
  await appendFile(join(f.pgData, 'pg_hba.conf'), 'host all all all scram-sha-256\n');
}

export function postgresPid(o: ClusterOptions): number | null {
  try {
    const pid = Number(
      readFileSync(join(clusterFiles(o.varDir).pgData, 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

export async function startPostgres(o: ClusterOptions): Promise<number> {
  const f = clusterFiles(o.varDir);
  const running = postgresPid(o);
  if (running) return running;
  const socketDir = join(f.run, 'pg-socket');
  ownedDir(f.logs);
  ownedDir(f.run);
  ownedDir(socketDir);
  // Address and port are given at each start, so a changed option takes effect on the next `up`.
  const settings = `-c listen_addresses=${o.ip} -c port=${o.pgPort} -c unix_socket_directories=${socketDir}`;
  try {
    await runPg('pg_ctl', ['-D', f.pgData, '-l', f.pgLog, '-w', '-t', '60', '-o', settings, 'start']);
  } catch (err) {
    throw new Error(
      `PostgreSQL did not start on ${o.ip}:${o.pgPort} (${f.pgData}): ${tailOf(f.pgLog) || String(err)}`,
    );
  }
  const pid = postgresPid(o);
  if (!pid) throw new Error(`PostgreSQL started but wrote no pid (${f.pgData}/postmaster.pid)`);
  return pid;
}

export async function stopPostgres(o: ClusterOptions): Promise<void> {
  if (!postgresPid(o)) return;
  await runPg('pg_ctl', ['-D', clusterFiles(o.varDir).pgData, '-m', 'fast', '-w', '-t', '60', 'stop']);
}

/** Runs SQL as the superuser over TCP; ON_ERROR_STOP so a failed statement fails the call. */
export async function psql(
  o: ClusterOptions,
  secrets: ClusterSecrets,
  sql: string,
  db = 'postgres',
): Promise<string> {
  const { stdout } = await run(
    pgBin('psql'),
    [
      '-X',
      '-q',
      '-At',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      o.ip,
      '-p',
      String(o.pgPort),
      '-U',
      PG_SUPERUSER,
      '-d',
      db,
      '-c',
      sql,
    ],
    {
      env: { ...process.env, PGPASSWORD: secrets.pg_superuser_password, PGCONNECT_TIMEOUT: '5' },
      timeout: 60_000,
    },
  );
  return stdout.trim();
}

/** SQL string literal. */
export const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** The login role Temporal uses and the two databases it owns; each created only when missing. */
export async function createTemporalDatabases(
  o: ClusterOptions,
  secrets: ClusterSecrets,
  databases: string[],
): Promise<void> {
  const role = secrets.temporal_user;
  await psql(
    o,
    secrets,
    `DO $$ BEGIN
       IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${lit(role)}) THEN
         CREATE ROLE "${role}" LOGIN PASSWORD ${lit(secrets.temporal_password)};
       END IF;
     END $$;`,
  );
  for (const db of databases) {
    const exists = await psql(o, secrets, `SELECT 1 FROM pg_database WHERE datname = ${lit(db)}`);
    if (exists !== '1') await psql(o, secrets, `CREATE DATABASE "${db}" OWNER "${role}"`);
  }
}

function tailOf(file: string): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-5).join('\n');
  } catch {
    return '';
  }
}
