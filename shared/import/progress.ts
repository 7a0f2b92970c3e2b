// A plain-text progress line for the CLI: percent of the (compressed) file read, records, rate, problems.
// On a terminal it redraws one line; in a log (not a TTY) it prints a line every 10 % so logs stay short.
import type { ImportProgress } from './types';

export interface ProgressStream {
  write(text: string): boolean;
  isTTY?: boolean;
}

export function formatProgress(label: string, p: ImportProgress, elapsedMs: number): string {
  const percent = p.totalBytes > 0 ? Math.min(100, (100 * p.bytesRead) / p.totalBytes) : 100;
  const rate = elapsedMs > 0 ? Math.round((p.records * 1000) / elapsedMs) : 0;
  const problems = p.problems === 1 ? '1 problem' : `${p.problems.toLocaleString('en-US')} problems`;
  return `${label} ${percent.toFixed(1).padStart(5)}% | ${p.records.toLocaleString('en-US')} records | ${rate.toLocaleString('en-US')}/s | ${problems}`;
}

export function createProgressBar(
  stream: ProgressStream,
  label: string,
  clock: () => number = () => Date.now(),
): (p: ImportProgress) => void {
  const started = clock();
  let lastDraw = -Infinity;
  let lastDecile = -1;
  let finished = false;
  return (p) => {
    if (finished) return;
    const now = clock();
    // Reading reaches 100 % before the last records are parsed and written: only the final call says done.
    const done = p.done === true;
    const line = formatProgress(label, p, now - started);
    if (stream.isTTY) {
      // Redraw at most 10 times a second; always draw the last state.
      if (!done && now - lastDraw < 100) return;
      lastDraw = now;
      stream.write(`\r${line}\u001b[K${done ? '\n' : ''}`);
    } else {
      const decile = p.totalBytes > 0 ? Math.min(9, Math.floor((10 * p.bytesRead) / p.totalBytes)) : 0;
      if (!done && decile <= lastDecile) return;
      lastDecile = decile;
      stream.write(`${line}\n`);
    }
    finished = done;
  };
}
