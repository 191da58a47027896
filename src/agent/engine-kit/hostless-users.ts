import type { AgentConfig, UserUpdate } from '../protocol.js';
import { AgentRequestError } from '../errors.js';

/** What an engine without per-host accounts tells the shared user rules. */
export interface HostlessEngine {
  /** The engine's name as tenants read it in a refusal ("PostgreSQL users have no host part"). */
  label: string;
  isReserved(name: string): boolean;
  exists(config: AgentConfig, name: string): Promise<boolean>;
}

/**
 * The user rules of an engine whose users have no host part (every host is '%'): reserved names are
 * refused, a host other than '%' is refused, a missing user is a 404 and a rename onto a taken
 * name a 409, with the same words for every such engine.
 */
export function hostlessUsers(engine: HostlessEngine) {
  const refuseReserved = (name: string): void => {
    if (engine.isReserved(name)) throw new AgentRequestError(400, `User '${name}' is reserved for the server and cannot be changed here.`);
  };
  const requireAnyHost = (host: string | undefined): void => {
    if (host !== undefined && host !== '%') throw new AgentRequestError(400, `${engine.label} users have no host part; leave it out or use '%', not '${host}'.`);
  };
  const requireUser = async (config: AgentConfig, name: string, host: string): Promise<void> => {
    requireAnyHost(host);
    refuseReserved(name);
    if (!(await engine.exists(config, name))) throw new AgentRequestError(404, `User ${name}@${host} cannot be found on the instance.`);
  };
  /** Checks an update, renames with `rename` when the name changes, then sets the password with `setPassword`. */
  const update = async (config: AgentConfig, change: UserUpdate, rename: (from: string, to: string) => Promise<void>, setPassword: (name: string, password: string) => Promise<void>): Promise<void> => {
    await requireUser(config, change.user.name, change.user.host);
    requireAnyHost(change.host);
    let name = change.user.name;
    if (change.name !== undefined && change.name !== name) {
      refuseReserved(change.name);
      if (await engine.exists(config, change.name)) throw new AgentRequestError(409, `User ${change.name}@% already exists.`);
      await rename(name, change.name);
      name = change.name;
    }
    if (change.password !== undefined) await setPassword(name, change.password);
  };
  return { refuseReserved, requireAnyHost, requireUser, update };
}
