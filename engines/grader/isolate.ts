// Runs the LaTeX parser in a worker thread and waits for it synchronously (Atomics.wait, then
// receiveMessageOnPort), so isEquivalent stays synchronous yet a runaway parse is cut off at the
// time bound: the worker is terminated and a warm standby takes over.
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { OutOfTime, Refused } from './budget';
import type { MathJson } from './parse';

const WORKER_URL = new URL('./latex-worker.mjs', import.meta.url);
/** How long a fresh worker may take to load and warm the parser (not charged to a comparison). */
const START_TIMEOUT_MS = 30_000;

class ParserWorker {
  readonly worker: Worker;
  readonly port: MessagePort;
  /** [0]: id of the last answered request; [1]: 1 once warm. */
  readonly signal = new Int32Array(new SharedArrayBuffer(8));

  constructor() {
    this.worker = new Worker(WORKER_URL);
    this.worker.unref();
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker.postMessage({ port: port2, signal: this.signal }, [port2]);
    this.worker.on('error', () => {
      // A crashed worker is replaced on next use; its waiters time out.
    });
  }

  ready(): boolean {
    return Atomics.load(this.signal, 1) === 1;
  }

  /** Blocks until warm; returns the milliseconds spent waiting. */
  waitReady(): number {
    const start = performance.now();
    if (!this.ready() && Atomics.wait(this.signal, 1, 0, START_TIMEOUT_MS) === 'timed-out') {
      throw new Error('LaTeX parser worker did not start');
    }
    return performance.now() - start;
  }

  kill(): void {
    this.port.close();
    void this.worker.terminate();
  }
}

let active: ParserWorker | null = null;
let standby: ParserWorker | null = null;
let everReady = false;
let nextId = 1;
// Time kept back from a comparison's remaining budget to terminate and replace a worker.
const KILL_MARGIN_MS = 15;

function promote(): void {
  active = standby ?? new ParserWorker();
  standby = null;
  // Starting a worker costs milliseconds of this thread: not inside the comparison that just
  // ran out of time. The next event-loop turn (or the next comparison) creates the standby.
  setImmediate(refillStandby).unref();
}

function refillStandby(): void {
  if (standby === null && active !== null) standby = new ParserWorker();
}

/**
 * Makes sure a parser worker exists. The first time in a process it waits for the worker to
 * load and warm up, and returns the milliseconds that took, which callers keep out of their
 * time bound; afterwards it never waits (0).
 */
export function ensureWorker(): number {
  if (active === null) promote();
  refillStandby();
  const w = active as ParserWorker;
  if (everReady || w.ready()) {
    everReady = true;
    return 0;
  }
  const waited = w.waitReady();
  everReady = true;
  return waited;
}

/**
 * Parses LaTeX to MathJSON in the worker, waiting at most timeoutMs. Throws OutOfTime when the
 * parse does not finish in time (the worker is then replaced by the warm standby) and Refused
 * when a replacement is still warming up after a recent runaway parse.
 */
export function parseLatexIsolated(src: string, timeoutMs: number): MathJson | null {
  ensureWorker();
  const w = active as ParserWorker;
  if (!w.ready()) throw new Refused('parser_restarting');
  const id = nextId++;
  if (nextId > 2_000_000_000) nextId = 1;
  w.port.postMessage({ id, src });
  const deadline = performance.now() + Math.max(0, timeoutMs - KILL_MARGIN_MS);
  for (;;) {
    const seen = Atomics.load(w.signal, 0);
    if (seen === id) break;
    const left = deadline - performance.now();
    if (left <= 0 || Atomics.wait(w.signal, 0, seen, left) === 'timed-out') {
      if (Atomics.load(w.signal, 0) === id) break;
      w.kill();
      active = null;
      promote();
      throw new OutOfTime();
    }
  }
  for (;;) {
    const msg = receiveMessageOnPort(w.port);
    if (msg === undefined) throw new Error('LaTeX parser worker answered without a message');
    const reply = msg.message as { id: number; json: MathJson | null };
    if (reply.id === id) return reply.json;
  }
}

/** Stops the parser workers (tests, clean shutdown). They are unref'd, so this is optional. */
export function stopWorkers(): void {
  active?.kill();
  standby?.kill();
  active = null;
  standby = null;
}
