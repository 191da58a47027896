export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Row {
  name: string;
  samples: number[];
  baseline?: number[];
}

/** A fixed-width table of medians (seconds), with the ratio to the baseline's median. */
export function formatRows(title: string, rows: Row[]): string {
  const lines = [title, `${'case'.padEnd(50)} ${'median s'.padStart(9)} ${'min s'.padStart(7)} ${'max s'.padStart(7)} ${'n'.padStart(3)} ${'ratio'.padStart(7)}`];
  for (const row of rows) {
    const m = median(row.samples);
    const ratio = row.baseline ? (m / median(row.baseline)).toFixed(2) : '';
    lines.push(
      `${row.name.padEnd(50)} ${m.toFixed(3).padStart(9)} ${Math.min(...row.samples)
        .toFixed(3)
        .padStart(7)} ${Math.max(...row.samples)
        .toFixed(3)
        .padStart(7)} ${String(row.samples.length).padStart(3)} ${ratio.padStart(7)}`,
    );
  }
  return lines.join('\n');
}
