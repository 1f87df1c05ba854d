// A store any host can read: hosts that mount one shared directory at different roots write and read
// each other's references, in both languages; an old absolute reference still reads; a host whose root
// is not mounted fails with a retryable error naming it, and the same process succeeds once it is.
// Each "host" is a real process in its own mount and UTS namespace (unshare -m -u: its own hostname,
// the shared directory bind-mounted at its own root, private to it), as NFS/Lustre clients mount one
// export. Outside the namespaces the roots stay empty, so every byte went through the mount.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, TOOLS } from '../../infra/paths';
import { DatasetRef } from '../../schemas/store';

const base = mkdtempSync(join(tmpdir(), 'autocode-hosts-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
/** What the file server exports. */
const shared = join(base, 'export');
/** Where hosts a and b mount it: different paths. */
const rootA = join(base, 'host-a', 'store');
const rootB = join(base, 'mnt', 'b-store');
for (const d of [shared, rootA, rootB]) mkdirSync(d, { recursive: true });

const HOST_SCRIPT = join(ROOT, 'test', 'store', 'host-worker.ts');
// hostname, then the bind mount (when a source is given), then the command; all inside the namespaces.
const IN_HOST = 'hostname "$1" && { [ -z "$2" ] || mount --bind "$2" "$3"; } && shift 3 && exec "$@"';

interface Host {
  name: string;
  root: string;
  /** Mounted: the shared directory at `root`; unmounted: `root` stays an empty directory. */
  mounted: boolean;
}

function onHost(host: Host, argv: string[]): string {
  const res = spawnSync(
    'unshare',
    [
      '-m',
      '-u',
      '--propagation',
      'private',
      'sh',
      '-c',
      IN_HOST,
      'sh',
      host.name,
      host.mounted ? shared : '',
      host.root,
      ...argv,
    ],
    {
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, AUTOCODE_STORE: host.root, PYTHONPATH: join(ROOT, 'gpu', 'src') },
    },
  );
  if (res.status !== 0) throw new Error(`${host.name}: exit ${res.status}: ${res.stderr}`);
  return res.stdout.trim().split('\n').at(-1) as string;
}

const ts = (host: Host, ...args: string[]) =>
  JSON.parse(onHost(host, [process.execPath, '--import', TOOLS.tsxLoader, HOST_SCRIPT, ...args]));
const py = (host: Host, code: string, ...args: string[]) =>
  JSON.parse(onHost(host, [TOOLS.python, '-c', code, ...args]));

// Reads a ref (verifying every file) and writes its table back as a new entry; prints both sides.
const PY_COPY = `
import json, socket, sys
from autocode_gpu import store
ref = json.loads(sys.argv[1])
table = store.read_dataset(ref)
key = store.content_key("pyHost", "1", {"of": ref["key"]}, {"src": ref})
d = store.entry_dir("rollouts", key)
store.write_part(d, 0, table)
out = store.write_manifest(d, kind="rollouts", schema_version=ref["schema_version"],
  producer={"activity": "pyHost", "version": "1"}, params={"of": ref["key"]}, inputs={"src": ref})
ids = [f"{q}/{s}" for q, s in zip(table["query_id"].to_pylist(), table["sample"].to_pylist())]
print(json.dumps({"host": socket.gethostname(), "dir": str(store.resolve_uri(ref["uri"])), "rows": ids, "ref": out}))
`;

const PY_READ = `
import json, socket, sys
from temporalio.exceptions import ApplicationError
from autocode_gpu import store
try:
    t = store.read_dataset(json.loads(sys.argv[1]))
    print(json.dumps({"host": socket.gethostname(), "rows": t.num_rows}))
except ApplicationError as e:
    print(json.dumps({"error": {"type": e.type, "non_retryable": e.non_retryable, "message": str(e)}}))
`;

const hostA: Host = { name: 'host-a', root: rootA, mounted: true };
const hostB: Host = { name: 'host-b', root: rootB, mounted: true };
const hostC: Host = { name: 'host-c', root: rootB, mounted: false };

describe('a store shared by hosts that mount it at different roots', { timeout: 300_000 }, () => {
  let fromA: { host: string; ref: DatasetRef; dir: string };

  it('host a writes, host b reads the same rows through its own root', () => {
    fromA = ts(hostA, 'write', '1');
    expect(fromA.host).toBe('host-a');
    expect(fromA.ref.uri).toBe(`store:rollouts/${fromA.ref.key}`);
    expect(fromA.dir).toBe(join(rootA, 'rollouts', fromA.ref.key));
    const onB = ts(hostB, 'read', JSON.stringify(fromA.ref));
    expect(onB.host).toBe('host-b');
    expect(onB.dir).toBe(join(rootB, 'rollouts', fromA.ref.key));
    const onA = ts(hostA, 'read', JSON.stringify(fromA.ref));
    expect(onB.rows).toHaveLength(40);
    expect(onB.rows).toEqual(onA.rows);
    // Every byte went through the mounts: the hosts' roots are empty outside their namespaces.
    expect(readdirSync(rootA)).toEqual([]);
    expect(readdirSync(rootB)).toEqual([]);
    expect(existsSync(join(shared, 'rollouts', fromA.ref.key, '_manifest.json'))).toBe(true);
  });

  it('host b writes, host a reads', () => {
    const fromB = ts(hostB, 'write', '2');
    expect(fromB.ref.uri).toBe(`store:rollouts/${fromB.ref.key}`);
    const onA = ts(hostA, 'read', JSON.stringify(fromB.ref));
    expect(onA.host).toBe('host-a');
    expect(onA.rows).toEqual(ts(hostB, 'read', JSON.stringify(fromB.ref)).rows);
  });

  it('Python on host b reads a TypeScript ref; TypeScript on host a reads the ref Python wrote', () => {
    const copy = py(hostB, PY_COPY, JSON.stringify(fromA.ref));
    expect(copy.host).toBe('host-b');
    expect(copy.dir).toBe(join(rootB, 'rollouts', fromA.ref.key));
    const pyRef = DatasetRef.parse(copy.ref);
    expect(pyRef.uri).toBe(`store:rollouts/${pyRef.key}`);
    const back = ts(hostA, 'read', JSON.stringify(pyRef));
    expect(back.rows).toEqual(copy.rows);
    expect(back.rows).toEqual(ts(hostA, 'read', JSON.stringify(fromA.ref)).rows);
  });

  it('an old ref holding host a absolute path still reads on host a, in both languages', () => {
    const old = { ...fromA.ref, uri: fromA.dir };
    expect(ts(hostA, 'read', JSON.stringify(old)).rows).toHaveLength(40);
    expect(py(hostA, PY_READ, JSON.stringify(old))).toEqual({ host: 'host-a', rows: 40 });
  });

  it('a host without the store mounted: a retryable error naming the host, the root and the ref', () => {
    const ref = JSON.stringify(fromA.ref);
    const onC = ts(hostC, 'read', ref);
    expect(onC.error.name).toBe('StoreUnavailable');
    for (const part of ['host host-c', rootB, fromA.ref.uri, 'empty mount point'])
      expect(onC.error.message).toContain(part);
    const pyC = py(hostC, PY_READ, ref);
    expect(pyC.error.type).toBe('StoreUnavailable');
    expect(pyC.error.non_retryable).toBe(false);
    for (const part of ['host host-c', rootB, fromA.ref.uri]) expect(pyC.error.message).toContain(part);
    // A root that does not exist at all names the host and the path too.
    const gone: Host = { name: 'host-d', root: join(base, 'nowhere'), mounted: false };
    const onD = py(gone, PY_READ, ref);
    expect(onD.error.message).toContain(`host host-d: store root ${join(base, 'nowhere')} is unavailable`);
  });

  it('the same process succeeds once the root is mounted, and nothing finished was touched', () => {
    const flag = join(base, 'failed-once');
    const manifest = join(shared, 'rollouts', fromA.ref.key, '_manifest.json');
    const before = readdirSync(join(shared, 'rollouts')).sort();
    // The reader fails, writes the flag and keeps retrying; the shell mounts the store once it sees it.
    const script = `"$@" & p=$!; while [ ! -e "${flag}" ]; do sleep 0.1; done; mount --bind "${shared}" "${rootB}"; wait $p`;
    const res = spawnSync(
      'unshare',
      [
        '-m',
        '-u',
        '--propagation',
        'private',
        'sh',
        '-c',
        `hostname host-c && ${script}`,
        'sh',
        process.execPath,
        '--import',
        TOOLS.tsxLoader,
        HOST_SCRIPT,
        'retry',
        JSON.stringify(fromA.ref),
        flag,
      ],
      { encoding: 'utf8', timeout: 120_000, env: { ...process.env, AUTOCODE_STORE: rootB } },
    );
    expect(res.status, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout.trim().split('\n').at(-1) as string);
    expect(out.failures[0].name).toBe('StoreUnavailable');
    expect(out.failures[0].message).toContain('host host-c');
    expect(out.attempts).toBeGreaterThan(1);
    expect(out.host).toBe('host-c');
    expect(out.rows).toHaveLength(40);
    expect(existsSync(manifest)).toBe(true);
    expect(readdirSync(join(shared, 'rollouts')).sort()).toEqual(before);
  });
});
