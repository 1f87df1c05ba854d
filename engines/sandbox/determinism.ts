// Which executions the execution cache may keep (docs/sandbox.md, "Execution cache"). Two rules:
//
// 1. Before it runs, from its text alone and conservatively: a program is cacheable only if it can
//    observe nothing but its own text: no clock, no randomness, no environment, no files, no
//    network, no other process, no memory addresses. Its imports must be on an allow-list of pure
//    modules, and no identifier anywhere in the text (strings and comments included, so a name
//    built into `getattr(x, "...")` or a sympy string still counts) may be one that reaches those
//    from the allowed modules or the builtins (deny-list below). A false "uncacheable" only costs a
//    run; a false "cacheable" would serve a stale value, so every doubt says uncacheable.
// 2. After it ran: a result the sandbox stopped (timeout, CPU limit, output cap, memory, a dead
//    slot), that failed on a resource (OSError family, MemoryError, RecursionError), that took over
//    half its wall limit (under more load it could have timed out) or that prints an address
//    (a default repr `<... at 0x7f...>`, which differs between processes) is not kept: each of those
//    depends on the machine's state, not on the program. Other exceptions are deterministic and
//    kept: the program fails the same way every time.
import type { ExecResult } from './types';

export type StaticVerdict = { cacheable: true } | { cacheable: false; reason: string };

/** Modules whose every function is a function of its arguments (minus the names denied below). */
export const ALLOWED_MODULES: ReadonlySet<string> = new Set([
  '__future__',
  'abc',
  'array',
  'base64',
  'binascii',
  'bisect',
  'cmath',
  'collections',
  'contextlib',
  'copy',
  'dataclasses',
  'decimal',
  'enum',
  'fractions',
  'functools',
  'hashlib',
  'heapq',
  'itertools',
  'json',
  'keyword',
  'math',
  'mpmath',
  'numbers',
  'numpy',
  'operator',
  'pprint',
  're',
  'statistics',
  'string',
  'sympy',
  'textwrap',
  'typing',
  'unicodedata',
  'zlib',
]);

const reasons = (why: string, names: string[]): [string, string][] => names.map((n) => [n, why]);

/** Identifiers that reach time, randomness, the environment, files, processes or raw memory. */
export const DENIED_NAMES: ReadonlyMap<string, string> = new Map([
  ...reasons('reads the clock', [
    'time',
    'datetime',
    'datetime64',
    'timedelta64',
    'timing',
    'timeit',
    'timeutils',
    'timethis',
    'perf_counter',
    'monotonic',
    'process_time',
    'now',
    'today',
    'utcnow',
    'clock',
    'calendar',
    'zoneinfo',
  ]),
  ...reasons('reads randomness', ['random', 'secrets', 'uuid', 'shuffle']),
  ...reasons('reads the interpreter or the environment', [
    'os',
    'sys',
    'platform',
    'sysconfig',
    'site',
    'getpass',
    'locale',
    'environ',
    'getenv',
    'builtins',
    'inspect',
    'gc',
    'weakref',
    'tracemalloc',
    'faulthandler',
    'atexit',
    'ctypes',
    'ctypeslib',
    'mmap',
    'resource',
    'signal',
    'pdb',
    'breakpoint',
    'help',
    'globals',
    'locals',
    'vars',
    'getattr',
    'setattr',
    'delattr',
    'input',
    'show_config',
    'show_runtime',
    'init_printing',
    'init_session',
  ]),
  ...reasons('runs code built at run time', ['eval', 'exec', 'compile']),
  ...reasons('imports a module by name at run time', [
    'importlib',
    'import_module',
    'imp',
    'zipimport',
    'pkgutil',
    'runpy',
  ]),
  // Instances of a class without __hash__ (and plain objects) hash by address: a set of them
  // iterates in a different order in another process.
  ...reasons('depends on object identity (memory addresses)', ['id', 'hash', 'class', 'object']),
  ...reasons('reads or writes files', [
    'io',
    'pathlib',
    'glob',
    'shutil',
    'tempfile',
    'fileinput',
    'pickle',
    'marshal',
    'shelve',
    'dbm',
    'sqlite3',
    'fromfile',
    'tofile',
    'load',
    'loadtxt',
    'genfromtxt',
    'save',
    'savez',
    'savez_compressed',
    'savetxt',
    'memmap',
    'DataSource',
    'preview',
    'codegen',
  ]),
  ...reasons('starts processes or threads, or reaches the network', [
    'subprocess',
    'socket',
    'threading',
    'multiprocessing',
    'concurrent',
    'asyncio',
    'select',
    'selectors',
    'fcntl',
    'pty',
    'sched',
    'urllib',
    'http',
    'ftplib',
    'smtplib',
    'requests',
    'webbrowser',
    'autowrap',
    'ufuncify',
    'f2py',
    'distutils',
  ]),
  ...reasons('reads uninitialised memory', ['empty', 'empty_like', 'ndarray', 'as_strided']),
  ...reasons('runs a test suite (random order, files)', ['test', 'testing', 'doctest', 'runtests']),
]);

/** Substrings of an identifier that deny it (any case): whole families of names. */
const DENIED_PARTS: [string, string][] = [
  // random, randint, randn, randprime, randMatrix, urandom, getrandbits, gf_random, mpmath.rand …
  ['rand', 'reads randomness'],
  ['sample', 'reads randomness'], // random.sample, sympy.stats.sample_iter, NormalDist.samples
  ['seed', 'reads randomness'],
  ['open', 'reads or writes files'], // open, fdopen, popen, urlopen, open_memmap
  ['plot', 'reads or writes files'], // sympy.plot → matplotlib
  ['environ', 'reads the interpreter or the environment'],
];

/** Names with a leading underscore that stay allowed; any other reaches the interpreter's internals. */
const UNDERSCORE_OK: ReadonlySet<string> = new Set(['_', '__name__', '__main__', '__init__', '__future__']);

const IDENTIFIER = /[\p{L}_][\p{L}\p{N}\p{M}_]*/gu;
// One logical line: `[ \t]`, not `\s`, so `raise E from e` and a later `import` never pair up.
const FROM_IMPORT = /(?<![\p{L}\p{N}_])from[ \t]+([.\p{L}\p{N}_]+)[ \t]+import(?![\p{L}\p{N}_])/gu;
const IMPORT = /(?<![\p{L}\p{N}_])import(?![\p{L}\p{N}_])/gu;
/** `a.b as c, d` up to the end of the statement (newline, `;`, `#` or the end). */
const IMPORT_LIST =
  /^[ \t]+([\p{L}_][\p{L}\p{N}_.]*(?:[ \t]+as[ \t]+[\p{L}_][\p{L}\p{N}_]*)?(?:[ \t]*,[ \t]*[\p{L}_][\p{L}\p{N}_.]*(?:[ \t]+as[ \t]+[\p{L}_][\p{L}\p{N}_]*)?)*)[ \t]*(?:\r?\n|;|#|$)/u;

/** The static rule: can this program observe anything but its own text? */
export function staticVerdict(code: string): StaticVerdict {
  // Python reads identifiers NFKC-normalised (`ｏｐｅｎ` is `open`): so does the rule.
  const text = code.normalize('NFKC');
  for (const [id] of text.matchAll(IDENTIFIER)) {
    const why = deniedIdentifier(id);
    if (why !== null) return { cacheable: false, reason: `${id}: ${why}` };
  }
  const fromImports = new Set<number>();
  for (const m of text.matchAll(FROM_IMPORT)) {
    fromImports.add((m.index as number) + m[0].length - 'import'.length);
    const root = (m[1] as string).split('.')[0] as string;
    if (!ALLOWED_MODULES.has(root)) return { cacheable: false, reason: notAllowed(m[1] as string) };
  }
  for (const m of text.matchAll(IMPORT)) {
    const at = m.index as number;
    if (fromImports.has(at)) continue;
    const list = IMPORT_LIST.exec(text.slice(at + 'import'.length));
    if (!list) return { cacheable: false, reason: 'an import statement the rule cannot read' };
    for (const item of (list[1] as string).split(',')) {
      const module = item.trim().split(/[ \t]+/)[0] as string;
      if (!ALLOWED_MODULES.has(module.split('.')[0] as string)) {
        return { cacheable: false, reason: notAllowed(module) };
      }
    }
  }
  return { cacheable: true };
}

function deniedIdentifier(id: string): string | null {
  if (id.startsWith('_') && !UNDERSCORE_OK.has(id)) {
    return 'private and dunder names reach the interpreter internals';
  }
  const named = DENIED_NAMES.get(id);
  if (named !== undefined) return named;
  const lower = id.toLowerCase();
  for (const [part, why] of DENIED_PARTS) if (lower.includes(part)) return why;
  return null;
}

const notAllowed = (module: string): string => `import of ${module}: not on the allow-list of pure modules`;

const STOPPED = /^(Timeout Error|TimeoutError|SandboxError|SandboxSetupError|Killed: |OutputLimitError)/;
const RESOURCE =
  /MemoryError|RecursionError|SystemError|OSError|IOError|Errno|BlockingIOError|ChildProcessError|BrokenPipeError|Connection\w*Error|File\w*Error|InterruptedError|IsADirectoryError|NotADirectoryError|PermissionError|ProcessLookupError|TimeoutError/;
const ADDRESS = /0x[0-9a-fA-F]{6,}/;

/** The result rule: null when the result may be kept, else why not. */
export function resultVerdict(r: ExecResult, timeoutMs: number): string | null {
  if (r.timed_out) return 'timed out';
  if (r.truncated) return 'stopped at the output cap';
  if (r.error !== null && STOPPED.test(r.error)) return `stopped by the sandbox (${r.error})`;
  if (r.error !== null && RESOURCE.test(r.error)) return `failed on a resource (${r.error})`;
  if (r.duration_ms > timeoutMs / 2) return 'took over half its wall limit';
  if (ADDRESS.test(r.stdout) || (r.error !== null && ADDRESS.test(r.error))) {
    return 'prints a memory address';
  }
  return null;
}
