import { REDIS_PARAMETERS, REDIS_TUNING } from '../parameters/redis.js';
import type { DatastoreDescriptor } from '../descriptor.js';

export const redis: DatastoreDescriptor = {
  name: 'redis',
  engine: 'redis',
  description: 'Redis key-value store',
  defaultPort: 6379,
  engineUser: 'redis',
  packages: ['redis-server'],
  probe: {
    executables: ['/usr/bin/redis-server'],
    args: ['--version'],
    pattern: 'v=((\\d+\\.\\d+)\\.\\d+)',
  },
  capabilities: {
    databases: false,
    users: true,
    root: true,
    configuration: true,
    backup: { full: true, incremental: false },
    replication: true,
    clusters: true,
  },
  // Redis Cluster: slots spread over the primaries, each with any number of replicas that Redis
  // itself promotes when their primary fails; three primaries at least, for a majority to decide.
  cluster: { minMembers: 3, memberTypes: ['primary', 'replica'], joinsRunningMember: false, restartFromMostAdvanced: false },
  logs: [{ name: 'server', type: 'SYS' }],
  minRamMb: 128,
  // ACL user names; Redis has no databases to name.
  names: {
    user: { pattern: '^[A-Za-z0-9_][A-Za-z0-9_.@$-]{0,79}$', allowed: "up to 80 letters, digits, '_', '.', '@', '$' or '-'" },
  },
  parameters: REDIS_PARAMETERS,
  tuning: REDIS_TUNING,
};
