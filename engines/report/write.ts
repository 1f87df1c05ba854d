// Writes a report's Markdown and HTML beside its data (atomically: temp name + rename).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReportDataInput } from '../../schemas/report';
import { writeAtomic } from '../store/atomic';
import { renderHtml } from './html';
import { renderMarkdown } from './markdown';

export interface ReportFiles {
  markdown: string;
  html: string;
}

/** `<dir>/report.md` and `<dir>/report.html`. */
export async function writeReport(dir: string, data: ReportDataInput): Promise<ReportFiles> {
  await mkdir(dir, { recursive: true });
  const files = { markdown: join(dir, 'report.md'), html: join(dir, 'report.html') };
  await writeAtomic(files.markdown, renderMarkdown(data));
  await writeAtomic(files.html, renderHtml(data));
  return files;
}
