// Evaluation metrics as Markdown tables (report.md, `autocode eval`): per benchmark and mode accuracy
// and code rate with auto's gain, and the selection metrics where they were computed. Pure.
import type { Metrics } from '../../schemas/run';

const pct = (v: unknown) => (typeof v === 'number' ? (v * 100).toFixed(1) : '-');
const signed = (v: unknown) => (typeof v === 'number' ? `${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}` : '-');

/** Groups with metrics, sets before their families (`<set>/<family>`), each alphabetically. */
export function metricGroups(metrics: Metrics): string[] {
  const groups = new Set<string>();
  for (const k of Object.keys(metrics)) {
    const m = /^(.+)\.(cot|code|auto)\.accuracy$/.exec(k);
    if (m?.[1]) groups.add(m[1]);
  }
  return [...groups].sort((a, b) => {
    const [sa, sb] = [a.split('/')[0] ?? a, b.split('/')[0] ?? b];
    return sa !== sb
      ? sa.localeCompare(sb)
      : a.length !== b.length
        ? a.includes('/')
          ? 1
          : -1
        : a.localeCompare(b);
  });
}

export function metricsTables(metrics: Metrics): string[] {
  const groups = metricGroups(metrics);
  const lines = [
    '| benchmark | cot | code | auto | cot code rate | code code rate | auto code rate | auto - best dictated |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const g of groups) {
    const v = (k: string) => metrics[`${g}.${k}`];
    lines.push(
      `| ${g} | ${pct(v('cot.accuracy'))} | ${pct(v('code.accuracy'))} | ${pct(v('auto.accuracy'))} | ${pct(v('cot.code_rate'))} | ${pct(v('code.code_rate'))} | ${pct(v('auto.code_rate'))} | ${signed(v('auto.gain'))} |`,
    );
  }
  const selected = groups.filter((g) => metrics[`${g}.selection.n`] !== undefined);
  if (selected.length) {
    lines.push(
      '',
      '| benchmark | labelled | mAcc | acc cot | acc code | acc within correct | correct | StrictAlign | AllowCode | MisAlign | labels cot/code/tie |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const g of selected) {
      const v = (k: string) => metrics[`${g}.selection.${k}`];
      const n = (label: string) =>
        Number(v(`confusion.${label}.cot`) ?? 0) + Number(v(`confusion.${label}.code`) ?? 0);
      lines.push(
        `| ${g} | ${v('n')} | ${pct(v('macc'))} | ${pct(v('acc_cot'))} | ${pct(v('acc_code'))} | ${pct(v('acc_within_correct'))} | ${v('align_n') ?? '-'} | ${pct(v('strict_align'))} | ${pct(v('allow_code'))} | ${pct(v('mis_align'))} | ${n('cot')}/${n('code')}/${n('tie')} |`,
      );
    }
  }
  return lines;
}
