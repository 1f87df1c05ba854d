// Shared bits of the sandbox tests: a probe that lists what runs inside a slot, and the host-side
// view of the pool's slot processes.
import { readdirSync, readFileSync } from 'node:fs';

/** Python that prints how many processes the slot's PID namespace holds and what /tmp contains. */
export const PROBE = [
  'import os',
  "procs = [p for p in os.listdir('/proc') if p.isdigit()]",
  "print(len(procs), sorted(os.listdir('/tmp')), sorted(os.listdir('/tmp/run')))",
].join('\n');

/** Inside bubblewrap a slot holds bwrap's init, the zygote and the execution itself: nothing else. */
export const CLEAN_PROBE_OUTPUT = "3 ['run'] []";

/** Host pids of this process's children whose command is `name` (the pool's slot processes). */
export function childPids(name: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && comm === name) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}
