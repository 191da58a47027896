import type { TroveApi } from './api.js';
import { ApiRefusal, ClientError, EXIT } from './errors.js';

export interface ResourceKind {
  /** Collection path, e.g. `/instances`. */
  path: string;
  /** Key of a list response, e.g. `instances`. */
  many: string;
  /** Key of a show response, e.g. `instance`. */
  one: string;
  label: string;
}

export const INSTANCES: ResourceKind = { path: '/instances', many: 'instances', one: 'instance', label: 'instance' };
export const BACKUPS: ResourceKind = { path: '/backups', many: 'backups', one: 'backup', label: 'backup' };
export const CONFIGURATIONS: ResourceKind = { path: '/configurations', many: 'configurations', one: 'configuration', label: 'configuration group' };
export const CLUSTERS: ResourceKind = { path: '/clusters', many: 'clusters', one: 'cluster', label: 'cluster' };
export const FLAVORS: ResourceKind = { path: '/flavors', many: 'flavors', one: 'flavor', label: 'flavor' };

/**
 * A resource by id, or else by name as the OpenStack clients look it up: the id first, then the
 * list filtered by name. A name two resources share is refused rather than guessed.
 */
export async function find<T extends { id: string | number | null; name: string }>(api: TroveApi, kind: ResourceKind, ref: string): Promise<T> {
  const show = async (id: string) => (await api.get<Record<string, T>>(`${kind.path}/${encodeURIComponent(id)}`))[kind.one]!;
  try {
    return await show(ref);
  } catch (err) {
    if (!(err instanceof ApiRefusal) || err.status !== 404) throw err;
  }
  const named = (await api.listAll<T & { str_id?: string }>(kind.path, kind.many)).filter((item) => item.name === ref);
  // Lists carry less than a show (a group's values, for one), so the one found is fetched whole.
  if (named.length === 1) return show(String(named[0]!.str_id ?? named[0]!.id));
  if (named.length > 1) throw new ClientError(`${named.length} ${kind.label}s are named '${ref}': give the id (${named.map((n) => n.id).join(', ')})`, EXIT.usage);
  throw new ApiRefusal(404, `No ${kind.label} with a name or ID of '${ref}' exists.`);
}

/** The id of a resource named by id or name. */
export async function idOf(api: TroveApi, kind: ResourceKind, ref: string): Promise<string> {
  const found = await find<{ id: string | number | null; name: string; str_id?: string }>(api, kind, ref);
  return String(found.str_id ?? found.id);
}
