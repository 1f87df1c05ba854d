// The cluster's shipped defaults and its generated server config, as users get them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterBinaries, clusterDefaults, servicePorts, VERSIONS } from '../../infra/cluster/layout';
import { MIN_SERVER_VERSION, versionAtLeast } from '../../infra/cluster/server-check';
import { DATABASES, HISTORY_SHARDS, serverConfig } from '../../infra/cluster/server-config';
import { VAR_DIR } from '../../infra/paths';

const secrets = { pg_superuser_password: 'p', temporal_user: 'temporal', temporal_password: 't' };

describe('cluster defaults', () => {
  it('listens beside the dev server (7233/8233) on loopback, state under var/cluster', () => {
    const d = clusterDefaults();
    expect(d).toEqual({ ip: '127.0.0.1', frontendPort: 7433, pgPort: 5433, uiPort: 8433, varDir: VAR_DIR });
  });

  it('pins the server v1.30.4 and needs at least 1.30.0 from any server it talks to', () => {
    expect(VERSIONS.temporal_server).toBe('v1.30.4');
    expect(MIN_SERVER_VERSION).toBe('1.30.0');
    expect(versionAtLeast('1.30.4', MIN_SERVER_VERSION)).toBe(true);
    expect(versionAtLeast('1.32.0', MIN_SERVER_VERSION)).toBe(true); // the CLI's dev server
    expect(versionAtLeast('1.30.0-rc.1', MIN_SERVER_VERSION)).toBe(true);
    expect(versionAtLeast('1.29.9', MIN_SERVER_VERSION)).toBe(false);
    expect(versionAtLeast('1.4.10', '1.30.0')).toBe(false); // numeric, not string, order
    expect(versionAtLeast('2.0.0', MIN_SERVER_VERSION)).toBe(true);
    expect(versionAtLeast('garbage', MIN_SERVER_VERSION)).toBe(false);
  });

  it('the install put the pinned binaries and schema dirs in the cache', () => {
    const b = clusterBinaries();
    for (const p of [
      b.server,
      b.sqlTool,
      b.ui,
      join(b.schema, 'temporal', 'versioned'),
      join(b.schema, 'visibility', 'versioned'),
    ]) {
      expect(existsSync(p), p).toBe(true);
    }
  });

  it('the server config: postgres12 for both stores, every service bound on the given address, distinct ports', () => {
    const o = { ip: '10.1.2.3', frontendPort: 7433, pgPort: 5433, uiPort: 8433, varDir: '/x' };
    const c = serverConfig(o, secrets) as {
      persistence: { numHistoryShards: number; datastores: Record<string, { sql: Record<string, unknown> }> };
      services: Record<string, { rpc: { bindOnIP: string; grpcPort: number } }>;
      publicClient: { hostPort: string };
    };
    expect(c.persistence.numHistoryShards).toBe(HISTORY_SHARDS);
    const stores = Object.values(c.persistence.datastores).map((d) => d.sql);
    expect(stores.map((s) => s.pluginName)).toEqual(['postgres12', 'postgres12']);
    expect(stores.map((s) => s.databaseName)).toEqual([DATABASES.default, DATABASES.visibility]);
    expect(stores.every((s) => s.connectAddr === '10.1.2.3:5433')).toBe(true);
    expect(Object.keys(c.services).sort()).toEqual(['frontend', 'history', 'matching', 'worker']);
    expect(Object.values(c.services).every((s) => s.rpc.bindOnIP === '10.1.2.3')).toBe(true);
    expect(c.services.frontend?.rpc.grpcPort).toBe(7433);
    expect(c.publicClient.hostPort).toBe('10.1.2.3:7433');
    const ports = Object.values(servicePorts(7433)).flatMap((p) => Object.values(p));
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports).not.toContain(5433);
    expect(ports).not.toContain(8433);
  });
});
