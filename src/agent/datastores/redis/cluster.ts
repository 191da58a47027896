import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../../../common/atomic-file.js';
import type { ClusterMembership, ClusterMemberStatus, ClusterNode } from '../../cluster-protocol.js';
import type { GuestCluster } from '../../datastore.js';
import type { AgentConfig } from '../../protocol.js';
import { giveFile } from '../../system-user.js';
import { CLUSTER_USER, passwordHash } from './acl.js';
import { redisCommand, redisInfo } from './cli.js';
import { CLUSTER_SLOTS, isLive, isPrimary, parseClusterInfo, parseClusterNodes, type ClusterNodeLine } from './cluster-nodes.js';
import { pathsOf } from './config-file.js';

const execFileAsync = promisify(execFile);

/** How long a primary may be silent before the others count it failed and its replica takes over. */
const NODE_TIMEOUT_MS = 5_000;
/** The longest one run of redis-cli's cluster manager may take (a reshard moves every key of its slots). */
const TOOL_TIMEOUT_MS = 25 * 60_000;
/** One command to one member (a member that does not answer within it counts as not agreeing yet). */
const COMMAND_TIMEOUT_MS = 5_000;
/** How long the members may take to agree on the cluster's shape after a change (gossip). */
const AGREE_TIMEOUT_MS = 60_000;

const PRIMARY = 'primary';
const REPLICA = 'replica';

function renderClusterConfig(config: AgentConfig, membership: ClusterMembership): string {
  return `# Written by the Trove guest agent: this server is a member of Redis cluster ${membership.name}.
cluster-enabled yes
cluster-config-file ${pathsOf(config).nodesFile}
cluster-node-timeout ${NODE_TIMEOUT_MS}
cluster-announce-ip ${config.address}
# Its connections to other members leave from, and are known by, its own address.
replica-announce-ip ${config.address}
bind-source-addr ${config.address}
# A replica logs in to its primary as the cluster's own user.
masteruser ${CLUSTER_USER}
masterauth ${membership.secret}
`;
}

/** An instance outside any cluster has an empty cluster file: redis.conf includes it either way. */
export function ensureClusterConfig(config: AgentConfig): void {
  const file = pathsOf(config).clusterFile;
  if (!existsSync(file)) writeFileAtomic(file, '# Written by the Trove guest agent: this server is not a member of a cluster.\n', 0o644);
}

/** The cluster's own user: reaches every key and command, as the cluster manager's moves of keys between members need. */
const clusterUserRules = (secret: string) => ['on', passwordHash(secret), '~*', '&*', '+@all'];

/** The cluster's user, on a running server at once, or in the ACL file a server not started yet loads. */
async function ensureClusterUser(config: AgentConfig, secret: string): Promise<void> {
  try {
    await redisCommand(config, ['ACL', 'SETUSER', CLUSTER_USER, 'reset', ...clusterUserRules(secret)]);
    await redisCommand(config, ['ACL', 'SAVE']);
    return;
  } catch {
    // Not running yet (a member being prepared): its ACL file has it when it starts.
  }
  const file = pathsOf(config).aclFile;
  const others = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith(`user ${CLUSTER_USER} `));
  writeFileAtomic(file, `${[...others, `user ${CLUSTER_USER} ${clusterUserRules(secret).join(' ')}`].join('\n')}\n`, 0o600);
  giveFile(file, 'redis');
}

/** Runs redis-cli's cluster manager as the cluster's user; the password travels in its environment, not its arguments. */
async function clusterManager(membership: ClusterMembership, args: string[]): Promise<string> {
  return redisCli(membership, ['--cluster', ...args], TOOL_TIMEOUT_MS);
}

/** One command to one member, as the cluster's user: an error reply (-e) or a refused login fails it. */
async function memberCommand(config: AgentConfig, membership: ClusterMembership, address: string, args: string[]): Promise<string> {
  const out = await redisCli(membership, ['-e', '-h', address, '-p', String(config.port), ...args], COMMAND_TIMEOUT_MS);
  if (/^(ERR|NOAUTH|WRONGPASS|NOPERM)\b/m.test(out)) throw new Error(`${address} refused ${args.slice(0, 2).join(' ')}: ${out.trim().slice(0, 200)}`);
  return out;
}

async function redisCli(membership: ClusterMembership, args: string[], timeoutMs: number): Promise<string> {
  try {
    const { stdout } = await execFileAsync('/usr/bin/redis-cli', ['--user', CLUSTER_USER, '--no-auth-warning', ...args], {
      // No TERM: the cluster manager writes its lines without colours.
      env: { PATH: '/usr/bin:/bin', REDISCLI_AUTH: membership.secret },
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (stdout.includes('[ERR]')) throw Object.assign(new Error('failed'), { stdout });
    return stdout;
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    const reasons = `${stdout}\n${stderr}`
      .split('\n')
      .filter((line) => /\[ERR\]|ERR |error/i.test(line))
      .slice(0, 5)
      .join('; ');
    throw new Error(`redis-cli ${args.slice(0, 2).join(' ')} failed: ${reasons || (err as Error).message}`);
  }
}

const endpoint = (config: AgentConfig, address: string) => `${address}:${config.port}`;

async function nodesSeen(config: AgentConfig): Promise<ClusterNodeLine[]> {
  return parseClusterNodes(String(await redisCommand(config, ['CLUSTER', 'NODES'])));
}

/** What one member knows of the others, asked of it directly. */
async function nodesSeenBy(config: AgentConfig, membership: ClusterMembership, address: string): Promise<ClusterNodeLine[]> {
  return parseClusterNodes(await memberCommand(config, membership, address, ['CLUSTER', 'NODES']));
}

/**
 * Waits until every member knows every other one (a slot cannot move to a member its owner has
 * not met yet), agrees on the slots, and sees all of them served, as redis-cli's check sees it.
 */
async function waitAgreed(config: AgentConfig, membership: ClusterMembership): Promise<void> {
  const deadline = Date.now() + AGREE_TIMEOUT_MS;
  let last = '';
  for (let attempt = 0; Date.now() < deadline && attempt < 600; attempt++) {
    try {
      const live = (await nodesSeen(config)).filter(isLive);
      const ids = live.map((n) => n.id);
      for (const { address } of live) {
        const known = (await nodesSeenBy(config, membership, address)).filter(isLive).map((n) => n.id);
        const missing = ids.filter((id) => !known.includes(id));
        if (missing.length > 0) throw new Error(`${address} does not know ${missing.length} of the members yet`);
        // A member that has not yet learnt who serves every slot refuses the keys moved to it (CLUSTERDOWN).
        const state = parseClusterInfo(await memberCommand(config, membership, address, ['CLUSTER', 'INFO'])).cluster_state;
        if (state !== 'ok') throw new Error(`${address} sees the cluster as ${state ?? 'unknown'}`);
      }
      await clusterManager(membership, ['check', endpoint(config, config.address)]);
      return;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(500);
  }
  throw new Error(`the members did not agree on the cluster within ${AGREE_TIMEOUT_MS / 1000} s: ${last}`);
}

/** A move of slots that was cut short leaves them open (migrating, importing): redis-cli's fix closes them before the next move. */
async function closeOpenSlots(config: AgentConfig, membership: ClusterMembership): Promise<void> {
  await clusterManager(membership, ['fix', endpoint(config, config.address), '--cluster-yes']);
}

/** Waits until this member's view has the replica at `address` following `primaryId` (gossip carries it). */
async function waitFollowing(config: AgentConfig, address: string, primaryId: string): Promise<void> {
  const deadline = Date.now() + AGREE_TIMEOUT_MS;
  for (let attempt = 0; Date.now() < deadline && attempt < 600; attempt++) {
    if ((await nodesSeen(config)).some((n) => n.address === address && n.primaryId === primaryId)) return;
    await sleep(200);
  }
  throw new Error(`${address} was not seen following its primary within ${AGREE_TIMEOUT_MS / 1000} s`);
}

/** Adds the members not in the cluster yet: primaries empty, then each replica to the primary with the fewest replicas. */
async function addMissing(config: AgentConfig, membership: ClusterMembership, members: ClusterNode[]): Promise<void> {
  const self = endpoint(config, config.address);
  for (const member of members.filter((m) => m.type === PRIMARY)) {
    if ((await nodesSeen(config)).some((n) => n.address === member.address)) continue;
    await clusterManager(membership, ['add-node', endpoint(config, member.address), self]);
    await waitAgreed(config, membership);
  }
  for (const member of members.filter((m) => m.type === REPLICA)) {
    const nodes = await nodesSeen(config);
    const known = nodes.find((n) => n.address === member.address);
    if (known && !isPrimary(known)) continue;
    if (known && known.slots > 0) throw new Error(`${member.address} was asked to be a replica but serves slots as a primary`);
    const followers = (p: ClusterNodeLine) => nodes.filter((n) => n.primaryId === p.id).length;
    const primaries = nodes.filter((n) => isPrimary(n) && isLive(n) && n.address !== member.address);
    // The fewest replicas first; among equals a new, empty primary, then the lowest address.
    const target = primaries.sort((a, b) => followers(a) - followers(b) || a.slots - b.slots || a.address.localeCompare(b.address))[0];
    if (!target) throw new Error('the cluster has no primary for a replica to follow');
    // An add cut short after the meeting leaves the member an empty primary: it is told whom to follow.
    if (known) await memberCommand(config, membership, member.address, ['CLUSTER', 'REPLICATE', target.id]);
    else await clusterManager(membership, ['add-node', endpoint(config, member.address), self, '--cluster-slave', '--cluster-master-id', target.id]);
    await waitAgreed(config, membership);
    // The next replica's choice counts this one: wait until this member sees whom it follows.
    await waitFollowing(config, member.address, target.id);
  }
}

/**
 * Redis Cluster, from redis-cli's own cluster manager: the primaries share the 16384 slots
 * evenly, each replica follows the primary that had the fewest, and Redis fails a primary over
 * to its replica by itself. Slots move between members live (MIGRATE), as keys are served.
 */
export const redisCluster: GuestCluster = {
  async writeMembership(config, membership) {
    const file = pathsOf(config).clusterFile;
    // It holds the cluster's secret: readable by the engine's user alone.
    writeFileAtomic(file, renderClusterConfig(config, membership), 0o600);
    giveFile(file, 'redis');
    await ensureClusterUser(config, membership.secret);
  },

  async secureBootstrap() {
    // Every member has the cluster's user from its own membership: nothing is shared through the data.
  },

  async status(config): Promise<ClusterMemberStatus> {
    const info = parseClusterInfo(String(await redisCommand(config, ['CLUSTER', 'INFO'])));
    const nodes = await nodesSeen(config);
    const me = nodes.find((n) => n.flags.includes('myself'));
    const primary = me !== undefined && isPrimary(me);
    const whole = info.cluster_state === 'ok' && Number(info.cluster_slots_ok) === CLUSTER_SLOTS;
    const linked = primary || (await redisInfo(config, 'replication')).master_link_status === 'up';
    return {
      size: nodes.filter(isLive).length,
      state: `${info.cluster_state ?? 'unknown'} (${primary ? PRIMARY : REPLICA})`,
      synced: whole && linked,
      primary: info.cluster_state === 'ok',
      type: primary ? PRIMARY : REPLICA,
    };
  },

  async currentType(config): Promise<string | undefined> {
    // A member not brought into a served cluster yet is a lone primary of nothing: it keeps the type it was asked for.
    const info = parseClusterInfo(String(await redisCommand(config, ['CLUSTER', 'INFO'])));
    if (info.cluster_state !== 'ok') return undefined;
    const me = (await nodesSeen(config)).find((n) => n.flags.includes('myself'));
    return me && !isPrimary(me) ? REPLICA : PRIMARY;
  },

  async position() {
    // Each member starts again from its own nodes file: no member is chosen to start the others.
    return { history: '', seqno: -1, safe_to_bootstrap: false };
  },

  async allowBootstrap() {
    // As above: nothing to allow.
  },

  assembly: {
    async form(config, membership, members) {
      const primaries = members.filter((m) => m.type === PRIMARY);
      const nodes = await nodesSeen(config);
      if (!primaries.every((p) => nodes.some((n) => n.address === p.address))) {
        const alone = nodes.length === 1 && nodes[0]!.slots === 0;
        if (!alone) throw new Error(`the cluster is partly formed (this member knows ${nodes.length} nodes, not all primaries): delete it and create it again`);
        await clusterManager(membership, ['create', ...primaries.map((p) => endpoint(config, p.address)), '--cluster-yes']);
      }
      await waitAgreed(config, membership);
      await addMissing(config, membership, members);
    },

    async add(config, membership, members) {
      await addMissing(config, membership, members);
      await closeOpenSlots(config, membership);
      // Slots move onto the new primaries until every primary has its share.
      await clusterManager(membership, ['rebalance', endpoint(config, config.address), '--cluster-use-empty-masters']);
      await waitAgreed(config, membership);
    },

    async remove(config, membership, addresses) {
      const self = endpoint(config, config.address);
      let nodes = await nodesSeen(config);
      const leaving = () => nodes.filter((n) => addresses.includes(n.address));
      if (leaving().length === 0) return;
      // Their slots move to the primaries that stay (weight 0 empties a primary).
      const emptied = leaving().filter(isPrimary);
      if (emptied.some((n) => n.slots > 0)) {
        await closeOpenSlots(config, membership);
        await clusterManager(membership, ['rebalance', self, '--cluster-weight', ...emptied.map((n) => `${n.id}=0`), '--cluster-use-empty-masters']);
        await waitAgreed(config, membership);
      }
      // A replica that stays and follows a primary that leaves follows a primary that stays, the one with the fewest.
      nodes = await nodesSeen(config);
      const leavingIds = new Set(leaving().map((n) => n.id));
      const staying = nodes.filter((n) => !leavingIds.has(n.id) && isLive(n));
      for (const orphan of staying.filter((n) => !isPrimary(n) && leavingIds.has(n.primaryId))) {
        const followers = (p: ClusterNodeLine) => staying.filter((n) => n.primaryId === p.id).length;
        const target = staying.filter((n) => isPrimary(n) && n.slots > 0).sort((a, b) => followers(a) - followers(b))[0];
        if (!target) throw new Error('no primary stays to take the replicas of the primaries leaving');
        await memberCommand(config, membership, orphan.address, ['CLUSTER', 'REPLICATE', target.id]);
        orphan.primaryId = target.id;
      }
      for (const node of [...leaving().filter((n) => !isPrimary(n)), ...leaving().filter(isPrimary)]) {
        await clusterManager(membership, ['del-node', self, node.id]);
      }
      await waitAgreed(config, membership);
    },
  },
};
