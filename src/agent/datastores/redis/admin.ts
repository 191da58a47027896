import { randomBytes } from 'node:crypto';
import type { GuestAdmin } from '../../datastore.js';
import { AgentRequestError } from '../../errors.js';
import { hostlessUsers } from '../../engine-kit/hostless-users.js';
import type { AgentConfig } from '../../protocol.js';
import { passwordHash, RESERVED_USERS, ROOT_RULES, ROOT_USER, TENANT_RULES } from './acl.js';
import { redisCommand as command, RedisCommandError, replyMap } from './cli.js';

/**
 * A tenant's user change the server answers with ERR (a user name Redis does not take…) is the
 * tenant's to fix: a 400 with the server's words. Other failures stay the agent's.
 */
async function redisCommand(config: AgentConfig, args: string[]): Promise<unknown> {
  try {
    return await command(config, args);
  } catch (err) {
    // Only a change to a user is the tenant's doing; ACL SAVE failing (a full or read-only disk) is not.
    if (err instanceof RedisCommandError && args[1] === 'SETUSER' && err.reply?.startsWith('ERR ')) throw new AgentRequestError(400, `The database server refused the request: ${err.reply.slice(4)}`);
    throw err;
  }
}

const NO_DATABASES = 'Redis has no databases to list, create or grant: a Redis user reaches every key of the instance.';

function noDatabases(): never {
  throw new AgentRequestError(422, NO_DATABASES);
}

async function aclUsers(config: AgentConfig): Promise<string[]> {
  return (await redisCommand(config, ['ACL', 'USERS'])) as string[];
}

/** Redis ACL users have no host: only '%' (any) is meaningful. */
const users = hostlessUsers({ label: 'Redis', isReserved: (name) => RESERVED_USERS.includes(name), exists: async (config, name) => (await aclUsers(config)).includes(name) });
const { refuseReserved, requireAnyHost, requireUser } = users;

/** Users live in the ACL file on the volume, so they survive restarts and travel with the data. */
async function save(config: AgentConfig): Promise<void> {
  await redisCommand(config, ['ACL', 'SAVE']);
}

export const redisAdmin: GuestAdmin = {
  databases: false,
  listDatabases: async () => noDatabases(),
  createDatabases: async () => noDatabases(),
  deleteDatabase: async () => noDatabases(),
  grant: async () => noDatabases(),
  revoke: async () => noDatabases(),

  async listUsers(config) {
    return (await aclUsers(config))
      .filter((name) => !RESERVED_USERS.includes(name))
      .sort()
      .map((name) => ({ name, host: '%', databases: [] }));
  },

  async createUsers(config, users) {
    const existing = await aclUsers(config);
    for (const user of users) {
      requireAnyHost(user.host);
      refuseReserved(user.name);
      if (user.databases.length > 0) noDatabases();
      if (existing.includes(user.name)) throw new AgentRequestError(409, `User ${user.name}@% already exists.`);
    }
    for (const user of users) await redisCommand(config, ['ACL', 'SETUSER', user.name, 'reset', 'on', passwordHash(user.password), ...TENANT_RULES]);
    await save(config);
  },

  async updateUser(config, update) {
    await users.update(
      config,
      update,
      async (from, to) => {
        // ACL has no rename: the new user takes over the old one's password hashes.
        const old = replyMap(await redisCommand(config, ['ACL', 'GETUSER', from])) as { passwords: string[] };
        await redisCommand(config, ['ACL', 'SETUSER', to, 'reset', 'on', ...old.passwords.map((hash) => `#${hash}`), ...TENANT_RULES]);
        await redisCommand(config, ['ACL', 'DELUSER', from]);
      },
      async (name, password) => void (await redisCommand(config, ['ACL', 'SETUSER', name, 'resetpass', passwordHash(password)])),
    );
    await save(config);
  },

  async deleteUser(config, user) {
    await requireUser(config, user.name, user.host);
    // Redis also closes the connections the user has open.
    await redisCommand(config, ['ACL', 'DELUSER', user.name]);
    await save(config);
  },

  async enableRoot(config, chosen) {
    const password = chosen ?? randomBytes(24).toString('base64url');
    await redisCommand(config, ['ACL', 'SETUSER', ROOT_USER, 'reset', 'on', passwordHash(password), ...ROOT_RULES]);
    await save(config);
    return { name: ROOT_USER, password };
  },

  async disableRoot(config) {
    await redisCommand(config, ['ACL', 'SETUSER', ROOT_USER, 'reset', 'off']);
    await save(config);
  },
};
