import { REPLICATION_USER } from '../../replication-protocol.js';
import { createHash } from 'node:crypto';

/** The ACL user the agent manages the server as; tenants never see or change it. */
export const AGENT_USER = 'trove-agent';
/** Redis's own default user: it is the instance's root (off until root is enabled). */
export const ROOT_USER = 'default';
/** The ACL user members of a Redis cluster reach one another as (replicas their primary, the agent's cluster tools every member); its password is the cluster's secret. */
export const CLUSTER_USER = 'trove-cluster';
export const RESERVED_USERS = [AGENT_USER, ROOT_USER, REPLICATION_USER, CLUSTER_USER];
/** Users of the agent's own making, the same on no two servers: never copied between them. */
export const SERVER_OWN_USERS = [AGENT_USER, REPLICATION_USER, CLUSTER_USER];

/** Passwords reach the server only as SHA-256 hashes (`#<hex>`), never in clear in an argv. */
export function passwordHash(password: string): string {
  return `#${createHash('sha256').update(password, 'utf8').digest('hex')}`;
}

/**
 * Tenant users reach every key and channel and run every command except the server's
 * administration (@admin: CONFIG, DEBUG, SHUTDOWN, MODULE, ACL, REPLICAOF, SAVE, MONITOR…),
 * FLUSHALL, SWAPDB and MIGRATE (which connects to other hosts).
 */
export const TENANT_RULES = ['~*', '&*', '-@all', '+@all', '-@admin', '-flushall', '-swapdb', '-migrate'];

/** Root adds FLUSHALL and the administration that stays inside the instance. */
export const ROOT_RULES = [...TENANT_RULES, '+flushall', '+swapdb', '+config|get', '+slowlog', '+latency', '+client|list', '+client|kill', '+lastsave', '+bgsave', '+bgrewriteaof', '+role'];

function agentLine(agentPassword: string): string {
  return `user ${AGENT_USER} on ${passwordHash(agentPassword)} ~* &* +@all`;
}

/** The ACL file a new instance starts with: root off, the agent with its password. */
export function initialAclFile(agentPassword: string): string {
  return `user ${ROOT_USER} off resetpass resetkeys resetchannels -@all\n${agentLine(agentPassword)}\n`;
}

/** An ACL file whose agent logs in with a new password (a rebuilt guest's): every other user is kept. */
export function withAgentPassword(aclFile: string, agentPassword: string): string {
  const others = aclFile.split('\n').filter((line) => line.trim() !== '' && !line.startsWith(`user ${AGENT_USER} `));
  return `${[...others, agentLine(agentPassword)].join('\n')}\n`;
}
