// The Temporal server's YAML config for the cluster: PostgreSQL (postgres12 plugin) for both the default
// and the visibility store, all four services in one process, every port bound on the cluster's address.
import { mkdirSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { type ClusterOptions, clusterFiles, servicePorts } from './layout';
import type { ClusterSecrets } from './secrets';

export const DATABASES = { default: 'temporal', visibility: 'temporal_visibility' } as const;

/** Fixed at the first start: Temporal cannot change the shard count of an existing cluster. */
export const HISTORY_SHARDS = 4;

function datastore(o: ClusterOptions, s: ClusterSecrets, databaseName: string, maxConns: number) {
  return {
    sql: {
      pluginName: 'postgres12',
      databaseName,
      connectAddr: `${o.ip}:${o.pgPort}`,
      connectProtocol: 'tcp',
      user: s.temporal_user,
      password: s.temporal_password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  };
}

export function serverConfig(o: ClusterOptions, s: ClusterSecrets): Record<string, unknown> {
  const ports = servicePorts(o.frontendPort);
  const f = clusterFiles(o.varDir);
  const rpc = (p: { grpc: number; membership: number; http?: number }) => ({
    rpc: {
      grpcPort: p.grpc,
      membershipPort: p.membership,
      bindOnIP: o.ip,
      ...(p.http ? { httpPort: p.http } : {}),
    },
  });
  const frontendAddress = `${o.ip}:${o.frontendPort}`;
  return {
    log: { stdout: true, level: 'warn' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: HISTORY_SHARDS,
      datastores: {
        'postgres-default': datastore(o, s, DATABASES.default, 20),
        'postgres-visibility': datastore(o, s, DATABASES.visibility, 4),
      },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: o.ip } },
    services: {
      frontend: rpc(ports.frontend),
      history: rpc(ports.history),
      matching: rpc(ports.matching),
      worker: rpc(ports.worker),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: {
          enabled: true,
          initialFailoverVersion: 1,
          rpcName: 'frontend',
          rpcAddress: frontendAddress,
        },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } },
    namespaceDefaults: { archival: { history: { state: 'disabled' }, visibility: { state: 'disabled' } } },
    publicClient: { hostPort: frontendAddress },
    dynamicConfigClient: { filepath: f.dynamicConfig, pollInterval: '10s' },
  };
}

/** Dynamic config: search attributes visible at once after registration (as on the dev server). */
export const DYNAMIC_CONFIG = {
  'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true, constraints: {} }],
};

/** Writes the config files (0600: they hold the database password). */
export function writeServerConfig(o: ClusterOptions, s: ClusterSecrets): string {
  const f = clusterFiles(o.varDir);
  mkdirSync(f.dir, { recursive: true });
  writeFileSync(f.dynamicConfig, stringify(DYNAMIC_CONFIG));
  writeFileSync(f.serverConfig, stringify(serverConfig(o, s)), { mode: 0o600 });
  return f.serverConfig;
}

/** The Web UI server's config dir: base.yaml is required by its loader, cluster.yaml holds ours. */
export function writeUiConfig(o: ClusterOptions): string {
  const f = clusterFiles(o.varDir);
  mkdirSync(f.uiConfigDir, { recursive: true });
  writeFileSync(`${f.uiConfigDir}/base.yaml`, '# see cluster.yaml\n');
  writeFileSync(
    `${f.uiConfigDir}/cluster.yaml`,
    stringify({
      temporalGrpcAddress: `${o.ip}:${o.frontendPort}`,
      host: o.ip,
      port: o.uiPort,
      enableUi: true,
      defaultNamespace: 'default',
      disableNewsFetch: true,
      notifyOnNewVersion: false,
      cors: { cookieInsecure: true, allowOrigins: [`http://${o.ip}:${o.uiPort}`] },
      forwardHeaders: [],
    }),
  );
  return f.uiConfigDir;
}
