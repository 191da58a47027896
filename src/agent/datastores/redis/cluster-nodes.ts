/** One line of CLUSTER NODES: a node as the answering node sees it. */
export interface ClusterNodeLine {
  id: string;
  /** The node's announced IPv4 address (empty while Redis does not know it yet). */
  address: string;
  port: number;
  flags: string[];
  /** The primary's id for a replica; '-' for a primary. */
  primaryId: string;
  /** How many slots the node serves (a primary's). */
  slots: number;
  connected: boolean;
}

/** How many slots one CLUSTER NODES slot field holds: "5461", "0-5460", or a slot being moved ("[93->-id]"), which counts as none. */
function slotCount(field: string): number {
  if (field.startsWith('[')) return 0;
  const [from, to] = field.split('-').map(Number);
  return to === undefined ? 1 : to! - from! + 1;
}

/** Parses CLUSTER NODES. */
export function parseClusterNodes(text: string): ClusterNodeLine[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [id = '', endpoint = '', flags = '', primaryId = '-', , , , link = '', ...slots] = line.split(' ');
      // ip:port@cport[,hostname]; an unknown address shows as ":0@0".
      const hostPort = endpoint.split('@')[0] ?? '';
      const colon = hostPort.lastIndexOf(':');
      return {
        id,
        address: hostPort.slice(0, colon),
        port: Number(hostPort.slice(colon + 1)),
        flags: flags.split(','),
        primaryId,
        slots: slots.reduce((sum, field) => sum + slotCount(field), 0),
        connected: link === 'connected',
      };
    });
}

export const isPrimary = (node: ClusterNodeLine) => node.flags.includes('master');
/** A node the answering node counts as gone (failed) or not yet met: not a member that serves. */
export const isLive = (node: ClusterNodeLine) => !node.flags.some((f) => f === 'fail' || f === 'handshake' || f === 'noaddr');

/** CLUSTER INFO as field → value. */
export function parseClusterInfo(text: string): Record<string, string> {
  return Object.fromEntries(text.split(/\r?\n/).flatMap((line) => (line.includes(':') ? [[line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]] : [])));
}

/** Redis Cluster's hash slots: all of them must be served for the cluster to be whole. */
export const CLUSTER_SLOTS = 16384;
