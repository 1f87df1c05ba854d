// Parses LaTeX with @cortex-js/compute-engine off the main thread, so a parse that runs away
// (some inputs take seconds) can be abandoned by terminating this worker. Protocol (isolate.ts):
// the parent sends { port, signal } once; then each request { id, src } on `port` is answered
// with { id, json } (json null when the parser throws), after which signal[0] is set to the id
// and notified. signal[1] becomes 1 once the parser is warm.
import { parentPort } from 'node:worker_threads';
import { ComputeEngine } from '@cortex-js/compute-engine';

const WARM_UP = [
  'x^2+2x+1',
  '\\frac{\\sqrt{3}}{2}\\pi',
  '(x+1)^{2}',
  '\\sin^2 x+\\ln(2)',
  '2\\frac{1}{4}',
  '\\lfloor n/2\\rfloor',
];
// The engine records every symbol it meets; start a fresh one now and then.
const ENGINE_REUSE = 20000;

let engine = new ComputeEngine();
let uses = 0;

function parse(src) {
  if (uses++ >= ENGINE_REUSE) {
    engine = new ComputeEngine();
    uses = 0;
  }
  try {
    return engine.parse(src, { canonical: false }).json;
  } catch {
    return null;
  }
}

parentPort.once('message', ({ port, signal }) => {
  for (const s of WARM_UP) parse(s);
  Atomics.store(signal, 1, 1);
  Atomics.notify(signal, 1);
  port.on('message', ({ id, src }) => {
    const json = parse(src);
    port.postMessage({ id, json });
    Atomics.store(signal, 0, id);
    Atomics.notify(signal, 0);
  });
});
