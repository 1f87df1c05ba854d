// The report as Markdown: the paper's Table 1 and Table 3 per benchmark, the selection confusion and
// the training figures per iteration. Pure: ReportData in, text out.
import { ReportData, type ReportDataInput } from '../../schemas/report';
import {
  type BenchmarkTable,
  benchmarks,
  confusion,
  formatNats,
  formatValue,
  ROLLOUT_MODES,
  regressions,
  table1,
  table3,
  trainingSeries,
} from './figures';

/** Table cells escape the pipe; a regression is bold with a marker. */
function tableLines(t: BenchmarkTable, first: string): string[] {
  const lines = [
    `| ${first} | ${t.columns.map((c) => c.header).join(' | ')} |`,
    `|${'---|'.repeat(t.columns.length + 1)}`,
  ];
  for (const row of t.rows) {
    const cells = t.columns.map((c) => {
      const cell = row.cells[c.id];
      if (!cell) return '-';
      const text = formatValue(cell.value, cell.format);
      return cell.regression ? `**${text} (regression)**` : text;
    });
    lines.push(`| ${row.iteration} | ${cells.join(' | ')} |`);
  }
  return lines;
}

const esc = (s: string) => s.replaceAll('|', '\\|');

export function renderMarkdown(input: ReportDataInput): string {
  const data = ReportData.parse(input);
  const sets = benchmarks(data);
  const single = data.kind === 'eval';
  const first = single ? 'checkpoint' : 'iteration';
  const out = [`# ${data.title}`, ''];
  if (data.subtitle) out.push(data.subtitle, '');

  out.push('## Pass@1 per benchmark (Table 1)', '');
  if (sets.length === 0) out.push('No evaluation metrics recorded.', '');
  for (const set of sets) {
    const t = table1(data, set);
    if (t.rows.length === 0) continue;
    out.push(`### ${esc(set)}`, '', ...tableLines(t, first), '');
  }
  out.push(
    `Accuracy is greedy Pass@1 in percent${single ? '' : '; iteration 0 is the starting policy'}. ` +
      'auto - best dictated is in points.',
    '',
  );

  out.push('## Selection (Table 3)', '');
  const withLabels = sets.map((s) => table3(data, s)).filter((t) => t.rows.length > 0);
  if (withLabels.length === 0) out.push('No selection labels.', '');
  for (const t of withLabels) {
    out.push(`### ${esc(t.set)}`, '', ...tableLines(t, first), '');
    const c = confusion(data, t.set);
    if (c) {
      out.push(
        `Confusion at ${first} ${c.iteration} (rows: label, columns: the model's choice):`,
        '',
        `| label | ${c.choices.join(' | ')} |`,
        `|${'---|'.repeat(c.choices.length + 1)}`,
        ...c.labels.map((l, i) => `| ${l} | ${(c.counts[i] ?? []).join(' | ')} |`),
        '',
      );
    }
  }
  if (withLabels.length > 0)
    out.push('n is the number of labelled queries; every other column is in percent.', '');

  const train = trainingSeries(data);
  if (train) {
    out.push(
      '## Training per iteration',
      '',
      `| iteration | ${ROLLOUT_MODES.map((m) => `reward ${m}`).join(' | ')} | samples | exploratory | reflective | replay | loss | drift mean | drift max | drift share |`,
      `|${'---|'.repeat(ROLLOUT_MODES.length + 9)}`,
    );
    train.iterations.forEach((k, i) => {
      const rewards = ROLLOUT_MODES.map((m) => formatValue(train.reward[m]?.[i] ?? null, 'pct'));
      const counts = [train.samples, train.exploratory, train.reflective, train.replay].map((s) =>
        formatValue(s[i] ?? null, 'count'),
      );
      const loss = train.loss[i];
      const drift = [
        formatNats(train.drift_mean[i] ?? null),
        formatNats(train.drift_max[i] ?? null),
        formatValue(train.drift_share[i] ?? null, 'pct'),
      ];
      out.push(
        `| ${k} | ${rewards.join(' | ')} | ${counts.join(' | ')} | ${loss == null ? '-' : loss.toFixed(4)} | ${drift.join(' | ')} |`,
      );
    });
    out.push(
      '',
      "Reward is the mean reward (percent correct) of the iteration's rollouts per mode. Drift: the",
      "sampler's recorded log-probs against the starting policy's on the loss tokens of rows trained in",
      'their sampled context (mean and max |difference| in nats, percent above the threshold).',
      '',
    );
  }

  const flagged = regressions(data);
  if (flagged.length > 0) {
    out.push('## Regressions', '');
    for (const r of flagged) out.push(`- ${first} ${r.iteration}: \`${r.key}\``);
    out.push('');
  }
  return out.join('\n');
}
