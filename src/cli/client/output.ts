import type { Command } from 'commander';
import { renderTable } from './text-table.js';

export interface Column<T> {
  header: string;
  value: (item: T) => unknown;
  /** Cells of this column are statuses, coloured on a terminal. */
  status?: boolean;
}

const COLOURS: Record<string, number> = {
  ACTIVE: 32,
  COMPLETED: 32,
  HEALTHY: 32,
  Ready: 32,
  Published: 32,
  RUNNING: 32,
  ERROR: 31,
  FAILED: 31,
  DELETE_FAILED: 31,
  SHUTDOWN: 31,
  Unavailable: 31,
  RESTART_REQUIRED: 35,
  Partial: 35,
};
const BUSY = 33;

/** How a cell shows a value: lists joined, nothing as an empty cell, objects as JSON. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(cell).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export interface OutputOptions {
  json: boolean;
  color: boolean;
  /** Terminal columns to fit tables into; none when the output is not a terminal. */
  width?: number;
}

/** Everything a client command prints goes through here: tables for people, JSON for scripts. */
export class Output {
  constructor(
    readonly options: OutputOptions,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
  ) {}

  static for(command: Command, stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): Output {
    const globals = command.optsWithGlobals() as { json?: boolean; color?: boolean };
    const tty = stream.isTTY === true;
    const color = tty && globals.color !== false && !env.NO_COLOR && env.TERM !== 'dumb';
    const columns = Number(env.COLUMNS) || (tty ? stream.columns : undefined);
    return new Output({ json: globals.json === true, color, width: columns }, stream);
  }

  get json(): boolean {
    return this.options.json;
  }

  private write(text: string): void {
    this.stdout.write(`${text}\n`);
  }

  private readonly bold = (text: string) => (this.options.color ? `\x1b[1m${text}\x1b[0m` : text);

  private paintStatus(raw: string, padded: string): string {
    if (!this.options.color || !raw) return padded;
    const code = COLOURS[raw] ?? (/^[A-Z_]+$/.test(raw) ? BUSY : undefined);
    return code === undefined ? padded : `\x1b[${code}m${padded}\x1b[0m`;
  }

  /** A list: a table of `columns`, or under --json the API's objects as they came. */
  list<T>(items: T[], columns: Column<T>[], empty: string): void {
    if (this.options.json) return this.write(JSON.stringify(items, null, 2));
    if (items.length === 0) return this.write(empty);
    const rows = items.map((item) => columns.map((c) => cell(c.value(item))));
    this.write(
      renderTable(
        columns.map((c) => c.header),
        rows,
        this.options.width,
        { paint: (_row, column, raw, padded) => (columns[column]?.status ? this.paintStatus(raw, padded) : padded), header: this.bold },
      ),
    );
  }

  /** One resource: Field/Value rows, or under --json the resource itself. */
  record(resource: unknown, fields: Array<[string, unknown]>, statusFields: string[] = ['status', 'operating_status']): void {
    if (this.options.json) return this.write(JSON.stringify(resource, null, 2));
    const rows = fields.filter(([, v]) => v !== undefined).map(([k, v]) => [k, cell(v)]);
    const paint = (row: number, column: number, raw: string, padded: string) => (column === 1 && statusFields.includes(rows[row]![0]!) ? this.paintStatus(raw, padded) : padded);
    this.write(renderTable(['Field', 'Value'], rows, this.options.width, { paint, header: this.bold }));
  }

  /** A line for people, e.g. that a request was accepted; under --json the given value, if any. */
  done(message: string, asJson?: unknown): void {
    if (this.options.json) {
      if (asJson !== undefined) this.write(JSON.stringify(asJson, null, 2));
      return;
    }
    this.write(message);
  }
}
