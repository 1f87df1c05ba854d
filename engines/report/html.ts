// The report as one self-contained HTML page: the tables as HTML, the plots drawn by Apache ECharts,
// whose minified build is inlined, so the file opens offline from file://. Charts use the SVG
// renderer (crisp in screenshots and print). Pure apart from reading the library once.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ReportData, type ReportDataInput } from '../../schemas/report';
import { type ChartSpec, reportCharts } from './charts';
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

let library: string | undefined;

/** The ECharts build that goes into every page. */
export function echartsSource(): string {
  // "</script" cannot occur in the minified build today; guard anyway, it would end the element.
  library ??= readFileSync(
    createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js'),
    'utf8',
  ).replaceAll('</script', '<\\/script');
  return library;
}

const escapeHtml = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** JSON inside <script>: no "</script>" or comment openers can end the element early. */
const scriptJson = (v: unknown) =>
  JSON.stringify(v).replaceAll('<', '\\u003c').replaceAll('>', '\\u003e').replaceAll('&', '\\u0026');

function tableHtml(t: BenchmarkTable, kind: string, first: string): string {
  const head = `<tr><th>${first}</th>${t.columns.map((c) => `<th>${escapeHtml(c.header)}</th>`).join('')}</tr>`;
  const body = t.rows
    .map((row) => {
      const tds = t.columns.map((c) => {
        const cell = row.cells[c.id];
        const text = cell ? formatValue(cell.value, cell.format) : '-';
        const cls = cell?.regression ? ' class="regression" title="regression"' : '';
        const key = cell ? ` data-key="${escapeHtml(cell.key)}"` : '';
        return `<td data-col="${c.id}"${key}${cls}>${text}${cell?.regression ? ' ▼' : ''}</td>`;
      });
      return `<tr data-iteration="${row.iteration}"><td>${row.iteration}</td>${tds.join('')}</tr>`;
    })
    .join('\n');
  return `<table class="${kind}" data-set="${escapeHtml(t.set)}">\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

const chartDiv = (c: ChartSpec, tall = false) =>
  `<div class="chart${tall ? ' tall' : ''}" id="${c.id}" data-figure="${c.figure}"${
    c.set === null ? '' : ` data-set="${escapeHtml(c.set)}"`
  } data-points="${c.points}" role="img" aria-label="${escapeHtml(c.title)}"></div>`;

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1180px; color: #1d2330; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #d8dce4; }
h3 { font-size: 15px; margin: 18px 0 6px; } .sub, .note, .empty { color: #5b6475; }
table { border-collapse: collapse; margin: 6px 0 10px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d8dce4; padding: 3px 10px; text-align: right; } th { background: #f2f4f8; }
td:first-child, th:first-child { text-align: center; }
td.regression { background: #fde2e1; color: #a4161a; font-weight: 600; }
.grid { display: flex; flex-wrap: wrap; gap: 12px; }
.chart { width: 560px; height: 320px; border: 1px solid #eceff4; } .chart.tall { width: 380px; }
.bench { margin-bottom: 8px; } .grid + table { margin-top: 16px; }
`;

const INIT = `
(function () {
  var specs = JSON.parse(document.getElementById('report-charts').textContent);
  window.reportCharts = {};
  specs.forEach(function (s) {
    var el = document.getElementById(s.id);
    var chart = echarts.init(el, null, { renderer: 'svg' });
    chart.setOption(s.option);
    window.reportCharts[s.id] = chart;
  });
  document.body.setAttribute('data-charts-ready', String(specs.length));
})();
`;

export function renderHtml(input: ReportDataInput): string {
  const data = ReportData.parse(input);
  const charts = reportCharts(data);
  const byId = new Map(charts.map((c) => [c.id, c]));
  const single = data.kind === 'eval';
  const first = single ? 'checkpoint' : 'iteration';
  const sets = benchmarks(data);
  const parts: string[] = [`<h1>${escapeHtml(data.title)}</h1>`];
  if (data.subtitle) parts.push(`<p class="sub">${escapeHtml(data.subtitle)}</p>`);

  parts.push('<section id="table1"><h2>Pass@1 per benchmark (Table 1)</h2>');
  const t1 = sets.map((s) => table1(data, s)).filter((t) => t.rows.length > 0);
  if (t1.length === 0) parts.push('<p class="empty">No evaluation metrics recorded.</p>');
  for (const t of t1)
    parts.push(`<div class="bench"><h3>${escapeHtml(t.set)}</h3>${tableHtml(t, 'table1', first)}</div>`);
  parts.push(
    `<p class="note">Greedy Pass@1 in percent${single ? '' : '; iteration 0 is the starting policy'}; auto - best dictated in points.</p>`,
    '</section>',
  );

  const plots = charts.filter((c) => c.figure === 'accuracy' || c.figure === 'overview');
  if (plots.length > 0) {
    parts.push('<section id="accuracy"><h2>Accuracy and code rate</h2><div class="grid">');
    for (const c of plots) parts.push(chartDiv(c));
    parts.push('</div></section>');
  }

  parts.push('<section id="table3"><h2>Selection (Table 3)</h2>');
  const t3 = sets.map((s) => table3(data, s)).filter((t) => t.rows.length > 0);
  if (t3.length === 0) parts.push('<p class="empty">No selection labels.</p>');
  for (const t of t3)
    parts.push(`<div class="bench"><h3>${escapeHtml(t.set)}</h3>${tableHtml(t, 'table3', first)}</div>`);
  if (t3.length > 0) {
    parts.push('<p class="note">n: labelled queries; the other columns in percent.</p><div class="grid">');
    sets.forEach((s, i) => {
      const c = confusion(data, s) && byId.get(`chart-confusion-${i}`);
      if (c) parts.push(chartDiv(c, true));
    });
    parts.push('</div>');
  }
  parts.push('</section>');

  const train = trainingSeries(data);
  const reward = byId.get('chart-reward');
  const trainChart = byId.get('chart-train');
  if (train && reward && trainChart) {
    parts.push('<section id="training"><h2>Training per iteration</h2>');
    parts.push(`<div class="grid">${chartDiv(reward)}${chartDiv(trainChart)}</div>`);
    const head = `<tr><th>iteration</th>${ROLLOUT_MODES.map((m) => `<th>reward ${m}</th>`).join('')}<th>samples</th><th>exploratory</th><th>reflective</th><th>replay</th><th>loss</th><th>drift mean</th><th>drift max</th><th>drift share</th></tr>`;
    const rows = train.iterations.map((k, i) => {
      const r = ROLLOUT_MODES.map(
        (m) => `<td data-col="${m}">${formatValue(train.reward[m]?.[i] ?? null, 'pct')}</td>`,
      );
      const counts = (['samples', 'exploratory', 'reflective', 'replay'] as const).map(
        (n) => `<td data-col="${n}">${formatValue(train[n][i] ?? null, 'count')}</td>`,
      );
      const loss = train.loss[i];
      const drift = `<td data-col="drift_mean">${formatNats(train.drift_mean[i] ?? null)}</td><td data-col="drift_max">${formatNats(train.drift_max[i] ?? null)}</td><td data-col="drift_share">${formatValue(train.drift_share[i] ?? null, 'pct')}</td>`;
      return `<tr data-iteration="${k}"><td>${k}</td>${r.join('')}${counts.join('')}<td data-col="loss">${loss == null ? '-' : loss.toFixed(4)}</td>${drift}</tr>`;
    });
    parts.push(`<table class="training"><thead>${head}</thead><tbody>${rows.join('\n')}</tbody></table>`);
    parts.push(
      "<p class=\"note\">Reward: percent of the iteration's rollouts graded correct, per mode. Drift: the sampler's log-probs against the starting policy's on loss tokens of rows trained in their sampled context (mean, max |difference| in nats; percent above the threshold).</p>",
    );
    parts.push('</section>');
  }

  const flagged = regressions(data);
  if (flagged.length > 0) {
    parts.push('<section id="regressions"><h2>Regressions</h2><ul>');
    for (const r of flagged)
      parts.push(`<li>${first} ${r.iteration}: <code>${escapeHtml(r.key)}</code></li>`);
    parts.push('</ul></section>');
  }

  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(data.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head><body>',
    ...parts,
    `<script>${echartsSource()}</script>`,
    `<script type="application/json" id="report-charts">${scriptJson(charts.map((c) => ({ id: c.id, option: c.option })))}</script>`,
    `<script>${INIT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
