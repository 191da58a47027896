import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitWidths, renderTable, wrap } from './text-table.js';

const ID = '3f0d0297-9423-436f-be7a-e0b009bfa0a6';

describe('text tables', () => {
  it('wraps at spaces or after punctuation, never past the width', () => {
    assert.deepEqual(wrap('extra, orders, shop', 8), ['extra,', 'orders,', 'shop']);
    assert.deepEqual(wrap('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
    for (const line of wrap(ID, 9)) assert.ok(line.length <= 9, line);
    assert.equal(wrap(ID, 9).join(''), ID, 'wrapping loses nothing');
  });

  it('keeps natural widths when there is room, or no width is known', () => {
    assert.deepEqual(fitWidths(['ID', 'Name'], [[ID, 'shop']], 200), [36, 4]);
    assert.deepEqual(fitWidths(['ID', 'Name'], [[ID, 'shop']]), [36, 4]);
  });

  it('shrinks the widest text column before an id column, and no column below its header or 10', () => {
    const rows = [[ID, 'a description that is long enough to wrap', 'COMPLETED']];
    const widths = fitWidths(['ID', 'Description', 'Status'], rows, 70);
    assert.equal(widths[0], 36, 'the id stays whole while another column can give way');
    assert.equal(widths[2], 9, 'a short status is never broken');
    assert.equal(widths.reduce((a, b) => a + b, 0) + 4, 70);
    const tight = fitWidths(['ID', 'Description', 'Status'], rows, 40);
    assert.ok(tight[1]! >= 11 && tight[2]! >= 9, String(tight));
  });

  it('renders aligned rows, wrapped cells on lines of their own', () => {
    const table = renderTable(['ID', 'Databases'], [['1', 'extra, orders, shop']], 18).split('\n');
    assert.deepEqual(table, ['ID  Databases', '--  --------------', '1   extra, orders,', '    shop']);
  });
});
