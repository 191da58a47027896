/** Trove's timestamps: ISO-8601 to the second, no zone suffix (e.g. 2026-11-24T21:38:14). */
export function troveTime(date: Date): string {
  return date.toISOString().slice(0, 19);
}

/** Keystone's timestamps: microsecond precision with a Z suffix. */
export function keystoneTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
