import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DESCRIPTORS } from '../catalog/descriptors/index.js';
import { BadRequest } from '../common/errors.js';
import { checkDatabaseName, checkDatabases, checkUserName, checkUsers } from './validation.js';

const names = (datastore: string) => [DESCRIPTORS.find((d) => d.name === datastore)!.names];
const ANY = DESCRIPTORS.map((d) => d.names);

describe('names checked by the datastore’s own rules', () => {
  it('refuses a name the datastore does not take with a 400 that says what to use', () => {
    assert.doesNotThrow(() => checkDatabaseName('d'.repeat(64), names('mysql')));
    assert.throws(
      () => checkDatabaseName('d'.repeat(64), names('postgresql')),
      (err: Error) => err instanceof BadRequest && err.message === `'${'d'.repeat(64)}' is not a valid schema name: use up to 63 letters, digits, '_', '$' or '-'.`,
    );
    assert.throws(() => checkDatabases([{ name: 'bad name!' }], names('mysql')), { message: "'bad name!' is not a valid schema name: use up to 64 letters, digits, '_', '$' or '-'." });
    assert.doesNotThrow(() => checkUserName('u'.repeat(80), names('mysql')));
    assert.throws(
      () => checkUserName('u'.repeat(64), names('postgresql')),
      (err: Error) => err instanceof BadRequest && /is not a valid user name/.test(err.message),
    );
    assert.throws(() => checkUsers([{ name: 'u'.repeat(64), password: 'p', databases: [] }], names('postgresql')), /User create error: 'u+' is not a valid user name/);
  });

  it('takes, before the datastore is known, what any datastore takes', () => {
    assert.doesNotThrow(() => checkDatabaseName('d'.repeat(64), ANY));
    assert.doesNotThrow(() => checkUserName('u'.repeat(80), ANY));
    assert.throws(() => checkUserName('u'.repeat(81), ANY), /not a valid user name/);
    assert.throws(() => checkDatabaseName('x`; DROP', ANY), /not a valid schema name: use up to 64/);
  });
});
