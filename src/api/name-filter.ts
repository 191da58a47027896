import { createContext, Script } from 'node:vm';
import { BadRequest } from '../common/errors.js';

/** Longer than this, a caller's pattern is refused rather than compiled. */
const MAX_PATTERN_LENGTH = 1024;
/** A pattern that backtracks for longer than this on the names at hand is refused. */
const MATCH_BUDGET_MS = 250;

const sandbox = createContext({});
const matchAll = new Script('names.map((name) => pattern.test(name))');

/**
 * Nova's `name` filter: an unanchored regular expression (as Python's re.search reads it)
 * tested against each name. The pattern comes from the caller, so a malformed one is a 400
 * and one that backtracks without end (such as `(a+)+b` on a long run of a's) is stopped
 * after a short budget instead of holding the event loop: vm's timeout interrupts V8's
 * regular expression engine too.
 */
export function matchingNames(pattern: string, names: readonly string[], field = 'name'): boolean[] {
  if (pattern.length > MAX_PATTERN_LENGTH) throw new BadRequest(`Invalid '${field}' filter: a regular expression of at most ${MAX_PATTERN_LENGTH} characters is accepted.`);
  let compiled: RegExp;
  try {
    compiled = new RegExp(pattern);
  } catch (err) {
    throw new BadRequest(`Invalid '${field}' filter: ${JSON.stringify(pattern)} is not a valid regular expression (${(err as Error).message.replace(/^Invalid regular expression: /, '')}).`);
  }
  if (names.length === 0) return [];
  sandbox.pattern = compiled;
  sandbox.names = names;
  try {
    return matchAll.runInContext(sandbox, { timeout: MATCH_BUDGET_MS }) as boolean[];
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      throw new BadRequest(`Invalid '${field}' filter: ${JSON.stringify(pattern)} took longer than ${MATCH_BUDGET_MS} ms to match; simplify the regular expression.`);
    }
    throw err;
  } finally {
    sandbox.pattern = undefined;
    sandbox.names = undefined;
  }
}
