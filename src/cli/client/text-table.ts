/**
 * Plain-text tables that fit a width: columns shrink, widest first, and their cells wrap onto
 * more lines instead of being cut, so an id is never lost to truncation.
 */
const GAP = '  ';
const MIN_COLUMN = 10;

/** Breaks `text` into lines of at most `width`, preferring breaks at spaces, or after commas, slashes and dashes. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let rest = paragraph;
    while (rest.length > width) {
      let cut = -1;
      for (let i = width; i > width / 3 && cut < 0; i--) {
        if (rest[i] === ' ') cut = i;
        else if (',/-'.includes(rest[i - 1]!)) cut = i;
      }
      if (cut < 0) cut = width;
      lines.push(rest.slice(0, cut).trimEnd());
      rest = rest.slice(cut).trimStart();
    }
    lines.push(rest);
  }
  return lines;
}

const IDENTIFIER = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Column widths for the cells, shrunk widest first until they fit `maxWidth`. A column keeps at
 * least its header and its short words (up to 10 characters); id columns give way last, since a
 * wrapped id is hard to copy.
 */
export function fitWidths(headers: string[], rows: string[][], maxWidth?: number): number[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.flatMap((r) => (r[i] ?? '').split('\n').map((l) => l.length))));
  if (maxWidth === undefined) return widths;
  const floor = headers.map((h, i) => Math.max(h.length, Math.min(widths[i]!, MIN_COLUMN)));
  const ids = headers.map((_h, i) => rows.length > 0 && rows.every((r) => !r[i] || IDENTIFIER.test(r[i]!)));
  const available = maxWidth - GAP.length * (headers.length - 1);
  let total = widths.reduce((a, b) => a + b, 0);
  const widest = (idColumns: boolean) => {
    let pick = -1;
    for (let i = 0; i < widths.length; i++) if (ids[i] === idColumns && widths[i]! > floor[i]! && (pick < 0 || widths[i]! > widths[pick]!)) pick = i;
    return pick;
  };
  while (total > available) {
    const pick = widest(false) >= 0 ? widest(false) : widest(true);
    if (pick < 0) break;
    widths[pick]!--;
    total--;
  }
  return widths;
}

export interface TableStyle {
  /** Styles a cell's padded text (colour); must not change its visible width. */
  paint?: (row: number, column: number, raw: string, padded: string) => string;
  header?: (text: string) => string;
}

export function renderTable(headers: string[], rows: string[][], maxWidth?: number, style: TableStyle = {}): string {
  const widths = fitWidths(headers, rows, maxWidth);
  const renderRow = (cells: string[], paint: (column: number, raw: string, padded: string) => string) => {
    const wrapped = cells.map((cell, i) => wrap(cell, widths[i]!));
    const height = Math.max(...wrapped.map((w) => w.length));
    const out: string[] = [];
    for (let line = 0; line < height; line++) {
      // The last column is not padded, so a coloured cell carries no trailing blanks.
      out.push(
        wrapped
          .map((w, i) => paint(i, cells[i] ?? '', i === cells.length - 1 ? (w[line] ?? '') : (w[line] ?? '').padEnd(widths[i]!)))
          .join(GAP)
          .trimEnd(),
      );
    }
    return out;
  };
  const header = style.header ?? ((t: string) => t);
  const lines = [...renderRow(headers, (_i, _raw, padded) => header(padded)), widths.map((w) => '-'.repeat(w)).join(GAP), ...rows.flatMap((r, row) => renderRow(r, (column, raw, padded) => (style.paint ? style.paint(row, column, raw, padded) : padded)))];
  return lines.map((l) => l.trimEnd()).join('\n');
}
