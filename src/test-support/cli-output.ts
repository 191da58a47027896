/** A property table as python-troveclient prints it, as a map; without its b'…' wrapping of text cells. */
export function propertyTable(table: string): Record<string, string | undefined> {
  return Object.fromEntries(
    table
      .split('\n')
      .filter((line) => line.startsWith('| '))
      .map((line) =>
        line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim().replace(/^b'(.*)'$/, '$1')),
      )
      .map(([key, value]) => [key, value]),
  );
}

/** The cells of each row of a table python-troveclient prints (the header row left out), without the b'…' wrapping. */
export function tableRows(table: string): string[][] {
  return table
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(1)
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replace(/^b'(.*)'$/, '$1')),
    );
}
