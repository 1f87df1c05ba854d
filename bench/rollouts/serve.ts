// The bench's completion server, in its own process so its CPU is not the engine's: the protocol test
// server with a per-token delay and a fixed-length scripted policy. Prints {"url": ...} once listening
// and exits when its stdin closes.
// Usage: tsx bench/rollouts/serve.ts <scenario cot|tools> <tokens per response> <token delay ms>
import { type Script, startCompletionsServer } from '../../test/helpers/completions-server';

const [scenario = 'cot', tokensArg = '128', delayArg = '1'] = process.argv.slice(2);
const tokens = Number(tokensArg);
const filler = (n: number) => 'z'.repeat(Math.max(0, n));

// cot: one round of `tokens` tokens (filler + boxed answer + EOS). tools: a short code round, then the
// rest of the budget after the output block.
const CODE = '```python\nprint(5)\n```\n```output';
const script: Script = ({ prompt }) => {
  if (scenario === 'tools' && !prompt.includes('```output')) return CODE;
  const used = scenario === 'tools' ? 12 + 5 : 0;
  return `${filler(tokens - used - 11)} \\boxed{5}`;
};

const server = await startCompletionsServer({ script, tokenDelayMs: Number(delayArg) });
console.log(JSON.stringify({ url: server.url }));
process.stdin.resume();
process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
