import type { GuestLogs } from '../../datastore.js';
import { AgentRequestError } from '../../errors.js';
import { pathsOf } from './config-file.js';

/** One log, the server's own, always on. */
export const redisLogs: GuestLogs = {
  async list(config) {
    return [{ name: 'server', file: pathsOf(config).logFile, enabled: true }];
  },

  async setEnabled(_config, name) {
    throw new AgentRequestError(400, `Log '${name}' is always on; it cannot be switched on or off.`);
  },
};
