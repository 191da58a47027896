import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';

/** The first reason a value does not fit a schema, as `where: why`. */
export function mismatch(schema: TSchema, value: unknown): string | undefined {
  if (Value.Check(schema, value)) return undefined;
  const first = Value.Errors(schema, value)[0];
  return `${first?.instancePath || '(root)'}: ${first?.message ?? 'does not match'}`;
}

/** JSON from outside this process's own writing (another process, a file a person may edit), checked against its schema. */
export function parseChecked<S extends TSchema>(schema: S, text: string, what: string): Static<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${what} is not JSON`);
  }
  const wrong = mismatch(schema, value);
  if (wrong !== undefined) throw new Error(`${what} is not what was expected at ${wrong}`);
  return value as Static<S>;
}

/**
 * JSON this program wrote itself from values it had already checked: a state-store column, a file
 * in a folder only it writes. Trusted as the type it was written as; nothing else reaches it.
 */
export function parseOwn<T>(text: string): T {
  return JSON.parse(text) as T;
}
