// `autocode report <run>`: the run's (or an evaluation's) report as Markdown and a self-contained
// HTML page beside its records, optionally rendered in headless Chromium to a PNG.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { loadReport } from '../../engines/report/load';
import { writeReport } from '../../engines/report/write';

export interface ReportPaths {
  markdown: string;
  html: string;
  png: string | null;
}

export interface ReportOptions {
  /** Render the page to this PNG; `true`: report.png beside the page. */
  png?: string | boolean;
  /** Where runs and evaluations live (default var/runs, var/evals). */
  runsDir?: string;
  evalsDir?: string;
}

/** Writes report.md and report.html for a run id, a run directory or an evaluation id. */
export async function makeReport(name: string, opts: ReportOptions = {}): Promise<ReportPaths> {
  const { dir, data } = await loadReport(name, { runs: opts.runsDir, evals: opts.evalsDir });
  const files = await writeReport(dir, data);
  let png: string | null = null;
  if (opts.png) {
    // Loaded only when asked for: the browser driver is not needed to write the report.
    const { renderPng } = await import('../../engines/report/png');
    png = await renderPng(files.html, typeof opts.png === 'string' ? opts.png : resolve(dir, 'report.png'));
  }
  return { ...files, png };
}

export function register(program: Command): void {
  program
    .command('report')
    .description('HTML and Markdown report of a run (or of an evaluation): tables and plots')
    .argument('<run>', 'run id under var/runs (or a run directory, or an evaluation id under var/evals)')
    .option(
      '--png [path]',
      'also render the page in headless Chromium to a full-page PNG (default: beside it)',
    )
    .option('--open-path', 'print the page as a file:// URL to open in a browser', false)
    .action(async (run: string, o: { png?: string | boolean; openPath: boolean }) => {
      const paths = await makeReport(run, { png: o.png });
      console.log(`markdown: ${paths.markdown}`);
      console.log(`html: ${paths.html}`);
      if (paths.png) console.log(`png: ${paths.png}`);
      if (o.openPath) console.log(`open: ${pathToFileURL(paths.html).href}`);
    });
}
