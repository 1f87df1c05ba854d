// Bad input for the cluster and the clients that connect to it: nothing at the address, something that
// is not Temporal at it, a Temporal server older than supported, a PostgreSQL that refuses the schema.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import proto from '@temporalio/proto';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterDefaults } from '../../infra/cluster/layout';
import { initPostgres, lit, psql, startPostgres, stopPostgres } from '../../infra/cluster/postgres';
import { SchemaError, setupSchema } from '../../infra/cluster/schema';
import { loadSecrets } from '../../infra/cluster/secrets';
import { checkTemporalServer, TemporalServerError } from '../../infra/cluster/server-check';
import { VAR_DIR } from '../../infra/paths';
import { autocode } from '../helpers/cli';
import { spawnCpuWorker } from '../helpers/stack';

const ws = proto.temporal.api.workflowservice.v1;

async function rejection(p: Promise<unknown>): Promise<TemporalServerError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TemporalServerError);
  return err as TemporalServerError;
}

describe('a client checking the Temporal server at an address', () => {
  const servers: { close(): void }[] = [];
  afterAll(() => {
    for (const s of servers) s.close();
  });

  it('nothing listening: unreachable, naming the address', async () => {
    const err = await rejection(checkTemporalServer('127.0.0.1:17251'));
    expect(err.kind).toBe('unreachable');
    expect(err.message).toBe('cannot reach the Temporal server at 127.0.0.1:17251: ECONNREFUSED');
  });

  it('a listener that is not Temporal (answers HTTP/1 to gRPC): says so, naming the address', async () => {
    const server: Server = createServer((sock) => {
      sock.on('data', () => sock.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(17252, '127.0.0.1', r));
    servers.push(server);
    const err = await rejection(checkTemporalServer('127.0.0.1:17252', 3000));
    expect(err.kind).toBe('not-temporal');
    expect(err.message).toMatch(
      /^something listens at 127\.0\.0\.1:17252 but it is not a Temporal frontend \(gRPC GetSystemInfo failed: .+\)$/,
    );
  });

  it('a Temporal frontend reporting 1.20.0 (real gRPC, the real client): too old, naming address and version', async () => {
    // A gRPC server answering GetSystemInfo the way a Temporal 1.20 frontend does; no older server is installed.
    const server = new grpc.Server();
    const respond = (version: string) => ({
      path: '/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo',
      requestStream: false,
      responseStream: false,
      requestSerialize: (m: unknown) => Buffer.from(ws.GetSystemInfoRequest.encode(m as object).finish()),
      requestDeserialize: (b: Buffer) => ws.GetSystemInfoRequest.decode(b),
      responseSerialize: (m: unknown) => Buffer.from(ws.GetSystemInfoResponse.encode(m as object).finish()),
      responseDeserialize: (b: Buffer) => ws.GetSystemInfoResponse.decode(b),
      originalName: 'getSystemInfo',
      version,
    });
    server.addService(
      { GetSystemInfo: respond('1.20.0') },
      {
        GetSystemInfo: (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
          cb(null, ws.GetSystemInfoResponse.create({ serverVersion: '1.20.0', capabilities: {} })),
      },
    );
    await new Promise<void>((resolve, reject) =>
      server.bindAsync('127.0.0.1:17253', grpc.ServerCredentials.createInsecure(), (e) =>
        e ? reject(e) : resolve(),
      ),
    );
    servers.push({ close: () => server.forceShutdown() });
    const err = await rejection(checkTemporalServer('127.0.0.1:17253'));
    expect(err.kind).toBe('too-old');
    expect(err.message).toBe(
      'the Temporal server at 127.0.0.1:17253 is version 1.20.0; autocode needs 1.30.0 or newer',
    );
  });

  it('the cpu worker and the CLI stop at that server with the same message', async () => {
    const message =
      'the Temporal server at 127.0.0.1:17253 is version 1.20.0; autocode needs 1.30.0 or newer';
    const log = join(VAR_DIR, 'test-logs', 'cluster-too-old.log');
    writeFileSync(log, '');
    const worker = spawnCpuWorker('127.0.0.1:17253', 'cluster-too-old');
    const code = await new Promise<number | null>((r) => worker.once('exit', (c) => r(c)));
    expect(code).not.toBe(0);
    expect(readFileSync(log, 'utf8')).toContain(message);
    const cli = await autocode(['runs'], { AUTOCODE_TEMPORAL_ADDRESS: '127.0.0.1:17253' });
    expect(cli.code).toBe(1);
    expect(cli.err).toBe(`autocode: ${message}\n`);
  });
});

describe('a PostgreSQL that refuses the schema', () => {
  const varDir = mkdtempSync(join(tmpdir(), 'autocode-cluster-pg-'));
  chmodSync(varDir, 0o755); // PostgreSQL runs as its own OS user and must reach its data dir
  const o = { ...clusterDefaults(), ip: '127.0.0.1', pgPort: 17255, varDir };
  afterAll(async () => {
    await stopPostgres(o);
    rmSync(varDir, { recursive: true, force: true });
  });

  it('names the address, database and role and why; the same call succeeds once the grant is there', async () => {
    const secrets = loadSecrets(join(varDir, 'cluster', 'secrets.json'));
    await initPostgres(o, secrets);
    await startPostgres(o);
    // A login role that does not own the database: PostgreSQL 15 gives it no CREATE on schema public.
    await psql(o, secrets, `CREATE ROLE reader LOGIN PASSWORD ${lit('r-pass')}`);
    await psql(o, secrets, 'CREATE DATABASE locked');
    const target = {
      host: o.ip,
      port: o.pgPort,
      user: 'reader',
      password: 'r-pass',
      database: 'locked',
      kind: 'temporal' as const,
    };
    const err = await setupSchema(target).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SchemaError);
    const msg = (err as Error).message;
    expect(msg).toContain(
      'PostgreSQL at 127.0.0.1:17255 refused Temporal\'s temporal schema in database "locked" for role "reader"',
    );
    expect(msg).toMatch(/permission denied for schema public/);
    // The fault goes away: the run resumes where it stopped, and a repeat is a no-op.
    await psql(o, secrets, 'GRANT CREATE ON SCHEMA public TO reader', 'locked');
    await setupSchema(target);
    await setupSchema(target);
    const version = await psql(o, secrets, 'SELECT curr_version FROM schema_version', 'locked');
    expect(version).toMatch(/^1\.\d+$/);
  });
});
