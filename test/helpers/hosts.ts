// Test hosts as Linux network namespaces: one bridge in the root namespace (the "switch", its address
// is where servers the hosts reach bind), one namespace per host with its own address on a veth pair,
// loopback up. Processes run inside a host with `ip netns exec`; killing a host kills every process in
// its namespace and their children (sandboxes live in namespaces of their own). The filesystem is
// shared, as a store mounted at the same path on every host would be. Needs root and iproute2.
//
// Parallel runs: 10.233.0.0/24 is cut into 16 slots of /28 (gateway .1 of the slot, hosts after it);
// a run takes a free slot with an exclusive mkdir under /tmp, its names carry the slot, and a slot
// whose owner process is gone (a crashed run) is cleaned up and taken over.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from '../../infra/paths';

const PREFIX = '10.233.0';
const SLOT_SIZE = 16;
const SLOTS = 256 / SLOT_SIZE;
const LOCKS = '/tmp/autocode-testnet';

export interface TestHost {
  /** The host's name in the test (also passed to its processes as AUTOCODE_HOST). */
  name: string;
  ns: string;
  address: string;
  /** Runs `command` inside the host, stdout and stderr appended to `log`. */
  spawn(command: string, args: string[], o: { env?: NodeJS.ProcessEnv; log: string }): ChildProcess;
  /** Pids of every process in the host's namespace. */
  pids(): number[];
  /** kill -9 of every process in the host and of their descendants; resolves once none is left. */
  kill(): Promise<number>;
}

export interface TestNetwork {
  /** The bridge's address in the root namespace: bind servers here so every host reaches them. */
  gateway: string;
  /**
   * A directory of this run's, removed with the network. Daemons started outside the hosts that
   * keep their state here (a process whose command line names it) are killed with it too, also
   * when a crashed run's slot is cleaned up.
   */
  dir: string;
  hosts: TestHost[];
  addHost(name: string): TestHost;
  /** Kills every process in every host and deletes the namespaces and the bridge. */
  destroy(): void;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

function nsPids(ns: string): number[] {
  try {
    return ip('netns', 'pids', ns).split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Start time of a process (jiffies since boot), to tell a live owner from a reused pid. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** `pids` and all their descendants, from /proc. */
function withDescendants(pids: number[]): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      // gone meanwhile
    }
  }
  const out = new Set<number>();
  const stack = [...pids];
  while (stack.length) {
    const p = stack.pop() as number;
    if (out.has(p)) continue;
    out.add(p);
    stack.push(...(children.get(p) ?? []));
  }
  return [...out];
}

function killAll(pids: number[]): void {
  for (const p of withDescendants(pids)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

const bridgeOf = (slot: number) => `acn${slot}`;
const nsPrefix = (slot: number) => `acn${slot}-`;

/** Removes every namespace and the bridge of a slot (its processes killed first), and its lock. */
function cleanSlot(slot: number, o: { keepLock?: boolean } = {}): void {
  const namespaces = ip('netns', 'list')
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(nsPrefix(slot)));
  for (const ns of namespaces) killAll(nsPids(ns));
  for (const ns of namespaces) {
    // A namespace lives on while a process holds it: wait for the killed ones to be reaped.
    for (let i = 0; i < 100 && nsPids(ns).length; i++) execFileSync('sleep', ['0.05']);
    try {
      ip('netns', 'del', ns);
    } catch {
      // already gone
    }
  }
  try {
    ip('link', 'del', bridgeOf(slot));
  } catch {
    // no bridge
  }
  killDaemonsOf(join(LOCKS, `slot-${slot}`, 'run'));
  rmSync(join(LOCKS, `slot-${slot}`, 'run'), { recursive: true, force: true });
  if (!o.keepLock) rmSync(join(LOCKS, `slot-${slot}`), { recursive: true, force: true });
}

/** kill -9 of every process whose command line names `dir` (its daemons). */
function killDaemonsOf(dir: string): void {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(dir)) process.kill(Number(d), 'SIGKILL');
    } catch {
      // gone, or not ours to read
    }
  }
}

/** Takes a free slot (cleaning up those whose owner died); throws when all are held by live runs. */
function takeSlot(): number {
  mkdirSync(LOCKS, { recursive: true });
  for (let slot = 0; slot < SLOTS; slot++) {
    const dir = join(LOCKS, `slot-${slot}`);
    try {
      const [pid, start] = readFileSync(join(dir, 'owner'), 'utf8').trim().split(' ');
      if (startTime(Number(pid)) !== start) cleanSlot(slot);
    } catch {
      // no lock, or a lock without its owner file yet (taken this instant): try it below
    }
    try {
      mkdirSync(dir);
    } catch {
      continue;
    }
    writeFileSync(join(dir, 'owner'), `${process.pid} ${startTime(process.pid)}\n`);
    return slot;
  }
  throw new Error(`every test network slot of ${PREFIX}.0/24 is held by a live run (${LOCKS})`);
}

/** A bridge with its own /28 of 10.233.0.0/24; hosts are added with addHost. */
export function createTestNetwork(): TestNetwork {
  const slot = takeSlot();
  const base = slot * SLOT_SIZE;
  const bridge = bridgeOf(slot);
  const gateway = `${PREFIX}.${base + 1}`;
  try {
    cleanSlot(slot, { keepLock: true }); // leftovers of a crashed owner whose lock was already removed
    ip('link', 'add', bridge, 'type', 'bridge');
    ip('addr', 'add', `${gateway}/28`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
  } catch (err) {
    cleanSlot(slot);
    throw err;
  }
  const hosts: TestHost[] = [];
  let destroyed = false;
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    process.off('exit', destroy);
    cleanSlot(slot);
  };
  // A failing or interrupted test still leaves nothing behind.
  process.on('exit', destroy);

  const addHost = (name: string): TestHost => {
    const index = hosts.length + 2;
    if (index >= SLOT_SIZE - 1) throw new Error(`a test network holds at most ${SLOT_SIZE - 3} hosts`);
    const ns = `${nsPrefix(slot)}${name}`;
    const address = `${PREFIX}.${base + index}`;
    const veth = `acn${slot}h${index}`;
    ip('netns', 'add', ns);
    ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    ip('link', 'set', veth, 'master', bridge, 'up');
    ip('-n', ns, 'addr', 'add', `${address}/28`, 'dev', 'eth0');
    ip('-n', ns, 'link', 'set', 'eth0', 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    const host: TestHost = {
      name,
      ns,
      address,
      spawn(command, args, o) {
        mkdirSync(dirname(o.log), { recursive: true });
        const fd = openSync(o.log, 'a');
        return spawn('ip', ['netns', 'exec', ns, command, ...args], {
          cwd: ROOT,
          stdio: ['ignore', fd, fd],
          env: { ...process.env, AUTOCODE_HOST: name, ...o.env },
        });
      },
      pids: () => nsPids(ns),
      async kill() {
        const pids = nsPids(ns);
        killAll(pids);
        for (let i = 0; i < 200 && nsPids(ns).length; i++) await new Promise((r) => setTimeout(r, 50));
        return pids.length;
      },
    };
    hosts.push(host);
    return host;
  };
  const dir = join(LOCKS, `slot-${slot}`, 'run');
  mkdirSync(dir, { recursive: true });
  return { gateway, dir, hosts, addHost, destroy };
}
