import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { Output, type OutputOptions } from './output.js';

function capture(options: OutputOptions, print: (out: Output) => void): string {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  print(new Output(options, stream));
  return Buffer.concat(chunks).toString('utf8');
}

const instances = [
  { id: 'a1', name: 'shop', status: 'ACTIVE' },
  { id: 'b2', name: 'cart', status: 'ERROR' },
];
const columns = [
  { header: 'ID', value: (i: (typeof instances)[number]) => i.id },
  { header: 'Status', value: (i: (typeof instances)[number]) => i.status, status: true },
];

describe('client output', () => {
  it('prints the API objects as JSON under --json, tables otherwise', () => {
    const json = capture({ json: true, color: false }, (out) => out.list(instances, columns, 'none'));
    assert.deepEqual(JSON.parse(json), instances);
    const table = capture({ json: false, color: false }, (out) => out.list(instances, columns, 'none'));
    assert.equal(table, 'ID  Status\n--  ------\na1  ACTIVE\nb2  ERROR\n');
  });

  it('colours statuses only when asked, without changing the layout', () => {
    const coloured = capture({ json: false, color: true }, (out) => out.list(instances, columns, 'none'));
    assert.match(coloured, /\x1b\[32mACTIVE/);
    assert.match(coloured, /\x1b\[31mERROR/);
    assert.equal(
      coloured.replace(/\x1b\[[0-9;]*m/g, ''),
      capture({ json: false, color: false }, (out) => out.list(instances, columns, 'none')),
    );
  });

  it('says so when a list is empty, and prints records as Field/Value rows without empty fields', () => {
    assert.equal(
      capture({ json: false, color: false }, (out) => out.list([], columns, 'No instances.')),
      'No instances.\n',
    );
    const record = capture({ json: false, color: false }, (out) =>
      out.record({}, [
        ['name', 'shop'],
        ['fault', undefined],
        ['ip', ['127.0.0.2']],
      ]),
    );
    assert.equal(record, 'Field  Value\n-----  ---------\nname   shop\nip     127.0.0.2\n');
  });

  it('prints confirmations for people only, and JSON for scripts only when there is something to give', () => {
    assert.equal(
      capture({ json: false, color: false }, (out) => out.done('Deleted.')),
      'Deleted.\n',
    );
    assert.equal(
      capture({ json: true, color: false }, (out) => out.done('Deleted.')),
      '',
    );
    assert.deepEqual(JSON.parse(capture({ json: true, color: false }, (out) => out.done('Logged in.', { project_id: 'p' }))), { project_id: 'p' });
  });
});
