// ECharts options for the report's plots: plain JSON (no functions), so they embed in the page as
// data and the page needs nothing but the library. Animation off: a screenshot shows the final state.
import type { ReportData } from '../../schemas/report';
import {
  benchmarks,
  type Confusion,
  confusion,
  EVAL_MODES,
  pct,
  ROLLOUT_MODES,
  type TrainingSeries,
  table1,
  trainingSeries,
} from './figures';

export interface ChartSpec {
  /** DOM id of the chart's container. */
  id: string;
  /** Which figure: accuracy, overview, confusion, reward, train. */
  figure: string;
  title: string;
  /** Benchmark the chart belongs to, if any. */
  set: string | null;
  option: Record<string, unknown>;
  /** Data points per series: the test compares them with the iterations. */
  points: number;
}

const base = (title: string) => ({
  animation: false,
  title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
  tooltip: { trigger: 'axis' },
  legend: { bottom: 0 },
  grid: { left: 56, right: 56, top: 56, bottom: 56 },
});

const percentAxis = (name: string) => ({
  type: 'value',
  name,
  min: 0,
  max: 100,
  axisLabel: { formatter: '{value}%' },
});

/** Accuracy per mode and auto's code rate over the iterations of one benchmark. */
function accuracyChart(data: ReportData, set: string, id: string): ChartSpec {
  const rows = table1(data, set).rows;
  const series = EVAL_MODES.map((mode) => ({
    name: `${mode} Pass@1`,
    type: 'line',
    data: rows.map((r) => pct(r.cells[mode]?.value ?? null)),
  }));
  series.push({
    name: 'auto code rate',
    type: 'line',
    data: rows.map((r) => pct(r.cells.code_rate?.value ?? null)),
    lineStyle: { type: 'dashed' },
  } as (typeof series)[number]);
  return {
    id,
    figure: 'accuracy',
    title: `${set}: accuracy and code rate`,
    set,
    points: rows.length,
    option: {
      ...base(`${set}: accuracy and code rate per iteration`),
      xAxis: { type: 'category', name: 'iteration', data: rows.map((r) => String(r.iteration)) },
      yAxis: percentAxis('%'),
      series,
    },
  };
}

/** One evaluation: Pass@1 per mode and auto's code rate, grouped by benchmark. */
function overviewChart(data: ReportData, sets: string[], id: string): ChartSpec {
  const first = (set: string) => table1(data, set).rows[0];
  const series = [...EVAL_MODES, 'code_rate'].map((col) => ({
    name: col === 'code_rate' ? 'auto code rate' : `${col} Pass@1`,
    type: 'bar',
    data: sets.map((s) => pct(first(s)?.cells[col]?.value ?? null)),
  }));
  return {
    id,
    figure: 'overview',
    title: 'Pass@1 and code rate per benchmark',
    set: null,
    points: sets.length,
    option: {
      ...base('Pass@1 and code rate per benchmark'),
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'category', data: sets, axisLabel: { interval: 0, rotate: sets.length > 6 ? 30 : 0 } },
      yAxis: percentAxis('%'),
      series,
    },
  };
}

function confusionChart(c: Confusion, id: string, when: string): ChartSpec {
  const cells = c.labels.flatMap((_, y) => c.choices.map((_, x) => [x, y, c.counts[y]?.[x] ?? 0]));
  const max = Math.max(1, ...cells.map((v) => v[2] ?? 0));
  return {
    id,
    figure: 'confusion',
    title: `${c.set}: selection confusion`,
    set: c.set,
    points: cells.length,
    option: {
      animation: false,
      title: {
        text: `${c.set}: label vs choice${when}`,
        left: 'center',
        textStyle: { fontSize: 14 },
      },
      tooltip: { position: 'top' },
      grid: { left: 72, right: 24, top: 48, bottom: 80 },
      xAxis: {
        type: 'category',
        name: 'choice',
        nameLocation: 'middle',
        nameGap: 28,
        data: [...c.choices],
        splitArea: { show: true },
      },
      // Labels top-down in the tables' order (cot, code, tie).
      yAxis: {
        type: 'category',
        name: 'label',
        nameLocation: 'middle',
        nameGap: 44,
        inverse: true,
        data: [...c.labels],
        splitArea: { show: true },
      },
      visualMap: { min: 0, max, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 120 },
      series: [{ name: 'queries', type: 'heatmap', data: cells, label: { show: true } }],
    },
  };
}

function rewardChart(t: TrainingSeries, id: string): ChartSpec {
  return {
    id,
    figure: 'reward',
    title: 'Mean rollout reward per mode',
    set: null,
    points: t.iterations.length,
    option: {
      ...base('Mean rollout reward per mode'),
      xAxis: { type: 'category', name: 'iteration', data: t.iterations.map(String) },
      yAxis: percentAxis('% correct'),
      series: ROLLOUT_MODES.map((m) => ({
        name: m,
        type: 'line',
        data: (t.reward[m] ?? []).map(pct),
      })),
    },
  };
}

function trainChart(t: TrainingSeries, id: string): ChartSpec {
  const bar = (name: string, data: (number | null)[]) => ({ name, type: 'bar', stack: 'samples', data });
  return {
    id,
    figure: 'train',
    title: 'Synthesized training set and update loss',
    set: null,
    points: t.iterations.length,
    option: {
      ...base('Synthesized training set and update loss'),
      xAxis: { type: 'category', name: 'iteration', data: t.iterations.map(String) },
      yAxis: [
        { type: 'value', name: 'samples' },
        { type: 'value', name: 'loss', scale: true },
      ],
      series: [
        bar('exploratory', t.exploratory),
        bar('reflective', t.reflective),
        bar('replay', t.replay),
        { name: 'loss', type: 'line', yAxisIndex: 1, data: t.loss },
      ],
    },
  };
}

/** Every chart of the report, in page order. */
export function reportCharts(data: ReportData): ChartSpec[] {
  const sets = benchmarks(data).filter((s) => table1(data, s).rows.length > 0);
  const charts: ChartSpec[] = [];
  if (data.iterations.length > 1)
    sets.forEach((s, i) => {
      charts.push(accuracyChart(data, s, `chart-accuracy-${i}`));
    });
  else if (sets.length > 0) charts.push(overviewChart(data, sets, 'chart-overview'));
  benchmarks(data).forEach((s, i) => {
    const c = confusion(data, s);
    if (c)
      charts.push(
        confusionChart(c, `chart-confusion-${i}`, data.kind === 'run' ? ` (iteration ${c.iteration})` : ''),
      );
  });
  const t = trainingSeries(data);
  if (t) charts.push(rewardChart(t, 'chart-reward'), trainChart(t, 'chart-train'));
  return charts;
}
