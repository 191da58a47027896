/** Nearest-rank percentile (p in 0..100) of values sorted ascending; NaN when there are none. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface OperationFigures {
  operation: string;
  count: number;
  /** Answers by HTTP status; 0 stands for a request that got no answer (connection refused or reset). */
  statuses: Map<number, number>;
  p50: number;
  p99: number;
  max: number;
}

/** Latencies and answers per operation, as a load test's clients see them. */
export class LatencyRecorder {
  private readonly samples = new Map<string, { ms: number[]; statuses: Map<number, number> }>();

  record(operation: string, ms: number, status: number): void {
    let entry = this.samples.get(operation);
    if (!entry) {
      entry = { ms: [], statuses: new Map() };
      this.samples.set(operation, entry);
    }
    entry.ms.push(ms);
    entry.statuses.set(status, (entry.statuses.get(status) ?? 0) + 1);
  }

  /** Figures per operation, by name, and for all of them together under `all`. */
  figures(): OperationFigures[] {
    const of = (operation: string, ms: number[], statuses: Map<number, number>): OperationFigures => {
      const sorted = [...ms].sort((a, b) => a - b);
      return { operation, count: sorted.length, statuses, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
    };
    const rows = [...this.samples.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, entry]) => of(name, entry.ms, entry.statuses));
    const allStatuses = new Map<number, number>();
    for (const row of rows) for (const [status, n] of row.statuses) allStatuses.set(status, (allStatuses.get(status) ?? 0) + n);
    return [
      ...rows,
      of(
        'all',
        [...this.samples.values()].flatMap((entry) => entry.ms),
        allStatuses,
      ),
    ];
  }

  /** How many answers had a status matching `test`, over every operation. */
  count(test: (status: number) => boolean): number {
    let n = 0;
    for (const entry of this.samples.values()) for (const [status, k] of entry.statuses) if (test(status)) n += k;
    return n;
  }
}

/** The figures as a fixed-width table: operation, count, p50/p99/max in ms, and the statuses seen. */
export function formatTable(rows: OperationFigures[]): string {
  const width = Math.max(9, ...rows.map((r) => r.operation.length));
  const ms = (value: number) => (Number.isNaN(value) ? '-' : value.toFixed(1)).padStart(9);
  const statuses = (row: OperationFigures) =>
    [...row.statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => `${status === 0 ? 'no answer' : status}×${n}`)
      .join(' ');
  const header = `${'operation'.padEnd(width)}  ${'count'.padStart(6)}  ${'p50 ms'.padStart(9)}  ${'p99 ms'.padStart(9)}  ${'max ms'.padStart(9)}  statuses`;
  const lines = rows.map((r) => `${r.operation.padEnd(width)}  ${String(r.count).padStart(6)}  ${ms(r.p50)}  ${ms(r.p99)}  ${ms(r.max)}  ${statuses(r)}`);
  return [header, ...lines].join('\n');
}
