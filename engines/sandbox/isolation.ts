// How a pool slot is launched: inside bubblewrap when it works on this host, otherwise the
// documented weaker fallback (plain process + rlimits), announced loudly once.
import { spawnSync } from 'node:child_process';
import { createHash, randomInt } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOOLS } from '../../infra/paths';
import type { Isolation, SandboxInfo, SandboxOptions } from './types';

export const ZYGOTE_PATH = fileURLToPath(new URL('./zygote.py', import.meta.url));
const ZYGOTE_IN_SANDBOX = '/opt/autocode-sandbox/zygote.py';
const VENV_IN_SANDBOX = '/opt/autocode-venv';
/** The venv's interpreter as the sandbox sees it. */
const PYTHON_IN_SANDBOX = `${VENV_IN_SANDBOX}/bin/python`;
const BWRAP = process.env.AUTOCODE_BWRAP ?? '/usr/bin/bwrap';

/** Environment of every sandboxed process: nothing from the host leaks in. */
const SANDBOX_ENV: Record<string, string> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: '/tmp',
  LANG: 'C.UTF-8',
  LC_ALL: 'C.UTF-8',
  // One BLAS thread: forking a process whose BLAS pool already runs threads is unsafe, and the
  // process limit counts threads.
  OPENBLAS_NUM_THREADS: '1',
  OMP_NUM_THREADS: '1',
  MKL_NUM_THREADS: '1',
  MPLCONFIGDIR: '/tmp',
  // A fixed str/bytes hash: set iteration order (and sympy's, whose symbols hash by name) would
  // otherwise differ between slots, so the same program could print differently on two slots.
  PYTHONHASHSEED: '0',
};

/**
 * The zygote's interpreter flags: -I without its -E, which would ignore PYTHONHASHSEED. The
 * environment is ours alone (bwrap --clearenv; the fallback spawns with SANDBOX_ENV only), so
 * reading it lets nothing from the host in. -s: no user site; -P: no script dir on sys.path.
 */
const ZYGOTE_FLAGS = ['-s', '-P', '-B'];

export interface LaunchSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Removes what the launch created on the host (the fallback's private temp directory). */
  cleanup(): void;
  /**
   * What decides how code behaves in this slot, besides the limits and the runtime the zygote
   * reports: the zygote's source, its flags and environment, the isolation (part of the sandbox
   * version the execution cache keys on).
   */
  behaviour: string;
}

interface PythonLayout {
  /** The interpreter inside the venv (not resolved: pyvenv.cfg must sit next to it). */
  exe: string;
  prefix: string;
  basePrefix: string;
}

let layoutCache: PythonLayout | undefined;
let infoCache: SandboxInfo | undefined;
let warned = false;

function pythonLayout(): PythonLayout {
  if (layoutCache) return layoutCache;
  const venvPython = TOOLS.python;
  const probe = spawnSync(
    venvPython,
    ['-I', '-c', 'import json,sys;print(json.dumps([sys.prefix,sys.base_prefix]))'],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (probe.status !== 0) {
    throw new Error(
      `sandbox: the Python at ${venvPython} does not run (${probe.error?.message ?? probe.stderr}); run bash infra/install.sh`,
    );
  }
  const [prefix, basePrefix] = JSON.parse(probe.stdout) as [string, string];
  const realPrefix = realpathSync(prefix);
  layoutCache = {
    exe: join(realPrefix, 'bin', 'python'),
    prefix: realPrefix,
    basePrefix: realpathSync(basePrefix),
  };
  return layoutCache;
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** bwrap arguments for one slot (everything but the command it runs). */
function bwrapArgs(layout: PythonLayout, tmpSizeMb: number): string[] {
  const args = ['--die-with-parent', '--new-session', '--unshare-ipc', '--unshare-pid', '--unshare-net'];
  args.push('--unshare-uts', '--hostname', 'sandbox', '--unshare-cgroup-try');
  if (isRoot()) {
    // Root: no user namespace (it would map the sandbox to uid 0, which RLIMIT_NPROC exempts).
    // The zygote keeps only what it needs to police its children, which drop to their own uid.
    args.push('--cap-drop', 'ALL');
    for (const cap of ['CAP_KILL', 'CAP_SETUID', 'CAP_SETGID']) args.push('--cap-add', cap);
  } else {
    args.push('--unshare-user', '--disable-userns');
  }
  for (const top of ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    if (!existsSync(top)) continue;
    if (lstatSync(top).isSymbolicLink()) args.push('--symlink', readlinkSync(top), top);
    else args.push('--ro-bind', top, top);
  }
  args.push('--ro-bind-try', '/etc/ld.so.cache', '/etc/ld.so.cache');
  const bound = ['/usr/'];
  const made = new Set<string>();
  // The venv is bound at a fixed path (a venv finds its site-packages from its executable's place),
  // so the checkout's location, /tmp included, never shows inside the sandbox.
  for (const dir of [layout.basePrefix, VENV_IN_SANDBOX, dirname(ZYGOTE_IN_SANDBOX)]) {
    if (bound.some((b) => `${dir}/`.startsWith(b))) continue;
    // bwrap would create the missing parents without search permission for others (e.g. /root),
    // and the code's unprivileged uid must walk through them to import from the bound tree.
    for (const parent of ancestors(dir)) {
      if (made.has(parent)) continue;
      made.add(parent);
      args.push('--perms', '0755', '--dir', parent);
    }
    if (dir === VENV_IN_SANDBOX) args.push('--ro-bind', layout.prefix, dir);
    else if (dir !== dirname(ZYGOTE_IN_SANDBOX)) args.push('--ro-bind', dir, dir);
    bound.push(`${dir}/`);
  }
  args.push('--ro-bind', ZYGOTE_PATH, ZYGOTE_IN_SANDBOX);
  args.push('--proc', '/proc', '--dev', '/dev');
  args.push('--perms', '1777', '--size', String(tmpSizeMb * 1024 * 1024), '--tmpfs', '/tmp');
  args.push('--remount-ro', '/', '--chdir', '/tmp', '--clearenv');
  for (const [k, v] of Object.entries(SANDBOX_ENV)) args.push('--setenv', k, v);
  return args;
}

function probeBubblewrap(layout: PythonLayout): string | null {
  if (!existsSync(BWRAP)) return `${BWRAP} not found (Debian package bubblewrap)`;
  const r = spawnSync(BWRAP, [...bwrapArgs(layout, 1), PYTHON_IN_SANDBOX, '-I', '-c', 'print("ok")'], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: SANDBOX_ENV.PATH as string },
  });
  if (r.status === 0 && r.stdout.trim() === 'ok') return null;
  return (r.error?.message ?? r.stderr.trim()) || `exit status ${r.status}`;
}

/** Which isolation this process uses; probed once. AUTOCODE_SANDBOX=bubblewrap|fallback forces it. */
export function sandboxInfo(): SandboxInfo {
  if (infoCache) return infoCache;
  const layout = pythonLayout();
  const forced = process.env.AUTOCODE_SANDBOX;
  if (forced !== undefined && forced !== '' && forced !== 'bubblewrap' && forced !== 'fallback') {
    throw new Error(`AUTOCODE_SANDBOX=${forced}: expected bubblewrap or fallback`);
  }
  let isolation: Isolation = 'bubblewrap';
  let detail = isRoot()
    ? 'bubblewrap as root: namespaces (pid, net, ipc, uts), read-only system, private /tmp; code runs under its own unprivileged uid'
    : 'bubblewrap in a user namespace: namespaces (user, pid, net, ipc, uts), read-only system, private /tmp';
  if (forced === 'fallback') {
    isolation = 'fallback';
    detail = 'fallback forced by AUTOCODE_SANDBOX=fallback';
  } else {
    const failure = probeBubblewrap(layout);
    if (failure !== null) {
      if (forced === 'bubblewrap')
        throw new Error(`sandbox: bubblewrap required but it cannot run: ${failure}`);
      isolation = 'fallback';
      detail = `bubblewrap cannot run here: ${failure}`;
    }
  }
  infoCache = { isolation, detail, python: layout.exe };
  if (isolation === 'fallback' && !warned) {
    warned = true;
    console.warn(
      `\n!!! autocode sandbox: WEAKER FALLBACK IN USE — ${detail}.\n` +
        '!!! Model code runs as a plain process with rlimits only: it can read the file system and reach the network.\n' +
        '!!! Install bubblewrap (apt-get install bubblewrap) and allow user namespaces to restore isolation.\n',
    );
  }
  return infoCache;
}

export interface ZygoteConfig {
  timeout_ms: number;
  memory_mb: number;
  output_limit: number;
  nproc: number;
  fsize_mb: number;
  child_uid: number | null;
  sweep: boolean;
  workdir: string;
  tmp_root: string;
}

/** A fresh uid per slot: RLIMIT_NPROC counts per uid, so slots never share a budget. */
const sandboxUid = (): number => 1_000_000_000 + randomInt(1_000_000_000);

/** The launch's part of the sandbox version: a change here may change what a program prints. */
function behaviourOf(info: SandboxInfo, childUid: boolean): string {
  return JSON.stringify({
    zygote: createHash('sha256').update(readFileSync(ZYGOTE_PATH)).digest('hex'),
    flags: ZYGOTE_FLAGS,
    env: SANDBOX_ENV,
    isolation: info.isolation,
    root: isRoot(),
    child_uid: childUid,
  });
}

export function launchSpec(o: Required<SandboxOptions>): LaunchSpec {
  const info = sandboxInfo();
  const layout = pythonLayout();
  const base = {
    timeout_ms: o.timeoutMs,
    memory_mb: o.memoryMb,
    output_limit: o.outputLimitBytes,
    nproc: o.maxProcesses,
    fsize_mb: o.fileSizeMb,
    child_uid: isRoot() ? sandboxUid() : null,
  };
  if (info.isolation === 'bubblewrap') {
    const cfg: ZygoteConfig = { ...base, sweep: true, workdir: '/tmp/run', tmp_root: '/tmp' };
    return {
      command: BWRAP,
      args: [
        ...bwrapArgs(layout, o.tmpSizeMb),
        PYTHON_IN_SANDBOX,
        ...ZYGOTE_FLAGS,
        ZYGOTE_IN_SANDBOX,
        JSON.stringify(cfg),
      ],
      env: { PATH: SANDBOX_ENV.PATH as string },
      cwd: '/',
      cleanup: () => {},
      behaviour: behaviourOf(info, cfg.child_uid !== null),
    };
  }
  const root = mkdtempSync(join(tmpdir(), 'autocode-sandbox-'));
  chmodSync(root, 0o1777);
  // Outside bubblewrap the child can only drop its uid if that uid can still read the Python tree.
  const canDrop = worldTraversable(layout.basePrefix) && worldTraversable(layout.prefix);
  // No PID namespace: kill(-1) would reach the whole host, so no sweep in the fallback.
  const cfg: ZygoteConfig = {
    ...base,
    child_uid: canDrop ? base.child_uid : null,
    sweep: false,
    workdir: join(root, 'run'),
    tmp_root: root,
  };
  return {
    command: layout.exe,
    args: [...ZYGOTE_FLAGS, ZYGOTE_PATH, JSON.stringify(cfg)],
    env: { ...SANDBOX_ENV, HOME: root, MPLCONFIGDIR: root },
    cwd: root,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
    behaviour: behaviourOf(info, cfg.child_uid !== null),
  };
}

/** "/a/b/c" → ["/a", "/a/b"]. */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let p = dirname(path); p !== dirname(p); p = dirname(p)) out.unshift(p);
  return out;
}

/** Every ancestor of `path` lets other users through (an unprivileged uid can import from it). */
function worldTraversable(path: string): boolean {
  for (let p = path; ; p = dirname(p)) {
    if ((statSync(p).mode & 0o001) === 0) return false;
    if (p === dirname(p)) return true;
  }
}
