import { BadRequest } from '../common/errors.js';
import { hasControlCharacter } from '../common/control-characters.js';

/** Names a database may have (what every engine we run accepts): letters, digits, _ $ -, up to 64. */
const DATABASE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_$-]{0,63}$/;
/** User names: letters, digits and _ . @ $ -, up to 80 (MariaDB's limit). */
const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@$-]{0,79}$/;
/** Host patterns of users: letters, digits, _ . % : - */
const USER_HOST = /^[A-Za-z0-9_.%:-]{1,255}$/;

export interface DatabaseInput {
  name: string;
  character_set?: string;
  collate?: string;
}

export interface UserInput {
  name: string;
  password: string;
  host?: string;
  databases: string[];
}

export function checkDatabases(databases: DatabaseInput[]): void {
  const seen = new Set<string>();
  for (const db of databases) {
    if (!DATABASE_NAME.test(db.name)) throw new BadRequest(`'${db.name}' is not a valid schema name: use up to 64 letters, digits, '_', '$' or '-'.`);
    if (db.character_set !== undefined && !/^[A-Za-z0-9_]{1,32}$/.test(db.character_set)) throw new BadRequest(`'${db.character_set}' is not a valid character set.`);
    if (db.collate !== undefined && !/^[A-Za-z0-9_]{1,64}$/.test(db.collate)) throw new BadRequest(`'${db.collate}' is not a valid collation.`);
    if (seen.has(db.name)) throw new BadRequest(`Database '${db.name}' is given twice.`);
    seen.add(db.name);
  }
}

/** With `knownDatabases`, every granted database must be among them (checked by the engine otherwise). */
export function checkUsers(users: UserInput[], knownDatabases?: Set<string>): void {
  const seen = new Set<string>();
  for (const user of users) {
    if (!USER_NAME.test(user.name)) throw new BadRequest(`User create error: '${user.name}' is not a valid user name.`);
    if (user.host !== undefined && !USER_HOST.test(user.host)) throw new BadRequest(`User create error: '${user.host}' is not a valid host for user '${user.name}'.`);
    const problem = passwordProblem(user.password);
    if (problem) throw new BadRequest(`User create error: the password of '${user.name}' ${problem}.`);
    const key = `${user.name}@${user.host ?? '%'}`;
    if (seen.has(key)) throw new BadRequest(`User '${key}' is given twice.`);
    seen.add(key);
    for (const db of user.databases) {
      if (!DATABASE_NAME.test(db)) throw new BadRequest(`'${db}' is not a valid schema name.`);
      if (knownDatabases && !knownDatabases.has(db)) throw new BadRequest(`User '${user.name}' is granted database '${db}', which is not among the databases to create.`);
    }
  }
}

export function checkUserName(name: string): void {
  if (!USER_NAME.test(name)) throw new BadRequest(`'${name}' is not a valid user name.`);
}

export function checkHost(host: string): void {
  if (!USER_HOST.test(host)) throw new BadRequest(`'${host}' is not a valid host pattern: use letters, digits and . % : _ -`);
}

export function checkDatabaseName(name: string): void {
  if (!DATABASE_NAME.test(name)) throw new BadRequest(`'${name}' is not a valid schema name: use up to 64 letters, digits, '_', '$' or '-'.`);
}

function passwordProblem(password: string): string | undefined {
  if (password.length < 1 || password.length > 256) return 'must have 1 to 256 characters';
  if (hasControlCharacter(password)) return 'must not contain control characters (such as NUL, tab or newline)';
  return undefined;
}

export function checkPassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw new BadRequest(`A password ${problem}.`);
}
