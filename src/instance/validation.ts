import type { NameRules } from '../catalog/descriptor.js';
import { BadRequest } from '../common/errors.js';
import { hasControlCharacter } from '../common/control-characters.js';

/**
 * Names are checked by the datastores' own rules (their catalog descriptors'): with one
 * datastore's rules once the instance is known, with every datastore's before (a name any of
 * them takes passes; the refusal says what the first of them allows).
 */
export type NameRuleSet = ReadonlyArray<NameRules>;

function fits(rules: NameRuleSet, kind: keyof NameRules, name: string): boolean {
  return rules.some((r) => r[kind] !== undefined && new RegExp(r[kind].pattern).test(name));
}

function allowed(rules: NameRuleSet, kind: keyof NameRules): string {
  return rules.find((r) => r[kind] !== undefined)?.[kind]?.allowed ?? 'no name: this datastore has none of these';
}

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

export function checkDatabases(databases: DatabaseInput[], rules: NameRuleSet): void {
  const seen = new Set<string>();
  for (const db of databases) {
    if (!fits(rules, 'database', db.name)) throw new BadRequest(`'${db.name}' is not a valid schema name: use ${allowed(rules, 'database')}.`);
    if (db.character_set !== undefined && !/^[A-Za-z0-9_]{1,32}$/.test(db.character_set)) throw new BadRequest(`'${db.character_set}' is not a valid character set.`);
    if (db.collate !== undefined && !/^[A-Za-z0-9_]{1,64}$/.test(db.collate)) throw new BadRequest(`'${db.collate}' is not a valid collation.`);
    if (seen.has(db.name)) throw new BadRequest(`Database '${db.name}' is given twice.`);
    seen.add(db.name);
  }
}

/** With `knownDatabases`, every granted database must be among them (checked by the engine otherwise). */
export function checkUsers(users: UserInput[], rules: NameRuleSet, knownDatabases?: Set<string>): void {
  const seen = new Set<string>();
  for (const user of users) {
    if (!fits(rules, 'user', user.name)) throw new BadRequest(`User create error: '${user.name}' is not a valid user name.`);
    if (user.host !== undefined && !USER_HOST.test(user.host)) throw new BadRequest(`User create error: '${user.host}' is not a valid host for user '${user.name}'.`);
    const problem = passwordProblem(user.password);
    if (problem) throw new BadRequest(`User create error: the password of '${user.name}' ${problem}.`);
    const key = `${user.name}@${user.host ?? '%'}`;
    if (seen.has(key)) throw new BadRequest(`User '${key}' is given twice.`);
    seen.add(key);
    for (const db of user.databases) {
      if (!fits(rules, 'database', db)) throw new BadRequest(`'${db}' is not a valid schema name.`);
      if (knownDatabases && !knownDatabases.has(db)) throw new BadRequest(`User '${user.name}' is granted database '${db}', which is not among the databases to create.`);
    }
  }
}

export function checkUserName(name: string, rules: NameRuleSet): void {
  if (!fits(rules, 'user', name)) throw new BadRequest(`'${name}' is not a valid user name.`);
}

export function checkHost(host: string): void {
  if (!USER_HOST.test(host)) throw new BadRequest(`'${host}' is not a valid host pattern: use letters, digits and . % : _ -`);
}

export function checkDatabaseName(name: string, rules: NameRuleSet): void {
  if (!fits(rules, 'database', name)) throw new BadRequest(`'${name}' is not a valid schema name: use ${allowed(rules, 'database')}.`);
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
