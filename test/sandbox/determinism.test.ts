// The execution cache's determinism rules (engines/sandbox/determinism.ts): which programs may be
// cached, decided from their text alone, and which results may be kept.
import { describe, expect, it } from 'vitest';
import { corpus } from '../../bench/sandbox/corpus';
import { tinyWorldDemonstrations } from '../../datasets/tiny-world/generate';
import { lastPythonBlock } from '../../engines/rollouts/code';
import { type ExecResult, resultVerdict, staticVerdict } from '../../engines/sandbox/index';

const cacheable = (code: string) => staticVerdict(code).cacheable;
const reason = (code: string) => {
  const v = staticVerdict(code);
  return v.cacheable ? null : v.reason;
};

describe('the static rule', () => {
  it('caches the programs rollouts write: the sandbox bench corpus and the tiny world programs', () => {
    const snippets = corpus().filter((s) => s.category !== 'timeout');
    expect(snippets.filter((s) => !cacheable(s.code)).map((s) => s.code)).toEqual([]);
    const programs = tinyWorldDemonstrations({ seed: 1, per_family: 20 })
      .map((d) => lastPythonBlock(d.response_text))
      .filter((p): p is string => p !== null);
    expect(programs.length).toBeGreaterThan(20);
    expect(programs.filter((p) => !cacheable(p))).toEqual([]);
    for (const p of [
      'from sympy import symbols, solve, Rational\nx = symbols("x")\nprint(solve(x**2 - 4, x))',
      'import numpy as np\nprint(np.linalg.det(np.array([[1, 2], [3, 4]])))',
      'from fractions import Fraction\nfrom math import comb, gcd\nprint(Fraction(comb(10, 3), gcd(12, 18)))',
      'def solution():\n    return sum(i for i in range(10))\n\nif __name__ == "__main__":\n    print(solution())',
      'import itertools, collections as c\nprint(c.Counter(itertools.permutations("aab", 2)))',
      'from __future__ import annotations\nimport math;import cmath\nprint(math.pi, cmath.sqrt(-1))',
      'for _ in range(3):\n    print(f"{_:>3}")',
      'x = 1  # important: the answer',
    ]) {
      expect(reason(p), p).toBeNull();
    }
  });

  it.each([
    ['import time\nprint(time.time())', 'time: reads the clock'],
    ['from datetime import datetime\nprint(datetime.now())', 'datetime: reads the clock'],
    ['import numpy as np\nprint(np.datetime64("now"))', 'datetime64: reads the clock'],
    ['import random\nprint(random.random())', 'random: reads randomness'],
    ['import numpy as np\nprint(np.random.rand())', 'random: reads randomness'],
    ['import numpy as np\nrng = np.random.default_rng()\nprint(rng.integers(9))', 'random: reads randomness'],
    ['from sympy import randprime\nprint(randprime(10, 100))', 'randprime: reads randomness'],
    ['from sympy.stats import Normal, sample\nprint(sample(Normal("x", 0, 1)))', 'sample: reads randomness'],
    ['import uuid\nprint(uuid.uuid4())', 'uuid: reads randomness'],
    ['import secrets\nprint(secrets.token_hex())', 'secrets: reads randomness'],
    ['import os\nprint(os.environ)', 'os: reads the interpreter or the environment'],
    ['import sys\nprint(sys.argv)', 'sys: reads the interpreter or the environment'],
    ['print(open("/tmp/x").read())', 'open: reads or writes files'],
    ['from pathlib import Path\nprint(Path(".").exists())', 'pathlib: reads or writes files'],
    ['import glob\nprint(glob.glob("*"))', 'glob: reads or writes files'],
    ['import numpy as np\nprint(np.load("a.npy"))', 'load: reads or writes files'],
    ['x = input()', 'input: reads the interpreter or the environment'],
    ['print(hash("abc"))', 'hash: depends on object identity (memory addresses)'],
    ['print(id(1))', 'id: depends on object identity (memory addresses)'],
    ['class A: pass\nprint({A(), A()})', 'class: depends on object identity (memory addresses)'],
    [
      'print(__import__("os").getcwd())',
      '__import__: private and dunder names reach the interpreter internals',
    ],
    [
      'print(().__class__.__base__.__subclasses__())',
      '__class__: private and dunder names reach the interpreter internals',
    ],
    ['print(eval("1 + 1"))', 'eval: runs code built at run time'],
    ['exec("print(1)")', 'exec: runs code built at run time'],
    ['import math\nprint(getattr(math, "pi"))', 'getattr: reads the interpreter or the environment'],
    [
      'import subprocess\nsubprocess.run(["ls"])',
      'subprocess: starts processes or threads, or reaches the network',
    ],
    ['import socket', 'socket: starts processes or threads, or reaches the network'],
    ['import threading', 'threading: starts processes or threads, or reaches the network'],
    ['import multiprocessing', 'multiprocessing: starts processes or threads, or reaches the network'],
    ['import numpy as np\nprint(np.empty(3))', 'empty: reads uninitialised memory'],
    ['import importlib\nimportlib.import_module("math")', 'importlib: imports a module by name at run time'],
    // Python reads identifiers NFKC-normalised: full-width letters spell `open`.
    ['print(ｏｐｅｎ("/etc/passwd").read())', 'open: reads or writes files'],
  ])('refuses %j', (code, why) => {
    expect(reason(code)).toBe(why);
  });

  it('refuses imports off the allow-list, wherever they stand, and imports it cannot read', () => {
    expect(reason('import antigravity')).toBe('import of antigravity: not on the allow-list of pure modules');
    expect(reason('if True: import antigravity')).toMatch(/^import of antigravity/);
    expect(reason('import math, antigravity as a')).toMatch(/^import of antigravity/);
    expect(reason('from antigravity import fly')).toMatch(/^import of antigravity/);
    expect(reason('from . import x')).toMatch(/^import of \./);
    // `raise … from e` then an import: the pair is not read as a from-import of e.
    expect(reason('try:\n    pass\nexcept E as e:\n    raise V from e\nimport antigravity')).toMatch(
      /^import of antigravity/,
    );
    expect(reason('import math, \\\n    antigravity')).toBe('an import statement the rule cannot read');
  });

  it('counts names in strings and comments too (a name handed to getattr or sympify still reaches it)', () => {
    expect(reason('import sympy\nprint(sympy.sympify("open(\'x\')"))')).toBe('open: reads or writes files');
    expect(reason('print("the time is")')).toBe('time: reads the clock');
    expect(reason('# uses random numbers\nprint(4)')).toBe('random: reads randomness');
  });
});

describe('the result rule', () => {
  const ok: ExecResult = { stdout: '42\n', error: null, timed_out: false, duration_ms: 12, truncated: false };
  const verdict = (r: Partial<ExecResult>) => resultVerdict({ ...ok, ...r }, 5000);

  it('keeps results and deterministic exceptions', () => {
    expect(verdict({})).toBeNull();
    expect(verdict({ stdout: '', error: "NameError: name 'x' is not defined" })).toBeNull();
    expect(verdict({ stdout: '', error: 'ZeroDivisionError: division by zero' })).toBeNull();
    expect(verdict({ stdout: '', error: 'SyntaxError: invalid syntax' })).toBeNull();
  });

  it('never keeps what load or the machine decided', () => {
    expect(verdict({ timed_out: true, error: 'Timeout Error' })).toBe('timed out');
    expect(verdict({ error: 'TimeoutError: CPU time limit exceeded' })).toMatch(/^stopped by the sandbox/);
    expect(verdict({ truncated: true, error: 'OutputLimitError: output exceeded 65536 bytes' })).toBe(
      'stopped at the output cap',
    );
    expect(verdict({ error: 'MemoryError' })).toMatch(/^failed on a resource/);
    expect(
      verdict({ error: 'numpy._core._exceptions._ArrayMemoryError: Unable to allocate 8.00 GiB' }),
    ).toMatch(/^failed on a resource/);
    expect(verdict({ error: 'RecursionError: maximum recursion depth exceeded' })).toMatch(
      /^failed on a resource/,
    );
    expect(verdict({ error: 'BlockingIOError: [Errno 11] Resource temporarily unavailable' })).toMatch(
      /^failed on a resource/,
    );
    expect(verdict({ error: 'SandboxError: the sandbox process died during this execution' })).toMatch(
      /^stopped by the sandbox/,
    );
    expect(verdict({ error: 'Killed: signal SIGSEGV' })).toMatch(/^stopped by the sandbox/);
    expect(verdict({ duration_ms: 2600 })).toBe('took over half its wall limit');
    expect(verdict({ stdout: '<function f at 0x7f3a2c1b9d30>\n' })).toBe('prints a memory address');
  });
});
