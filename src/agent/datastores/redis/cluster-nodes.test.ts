import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isLive, isPrimary, parseClusterInfo, parseClusterNodes } from './cluster-nodes.js';

const NODES = `07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.2:6379@16379 myself,master - 0 1426238316232 1 connected 0-5460 7000
67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.3:6379@16379 master - 0 1426238316232 2 connected 5461-10922 [7001->-07c37dfeb235213a872192d90877d0cd55635b91]
292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.4:6379@16379 master,fail - 1426238317239 1426238316232 3 disconnected 10923-16383
6ec23923021cf3ffec47632106199cb7f496ce01 127.0.0.5:6379@16379 slave 07c37dfeb235213a872192d90877d0cd55635b91 0 1426238316232 1 connected
e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca :0@0 handshake - 0 0 0 connected
`;

describe('Redis CLUSTER NODES', () => {
  it('reads every node with its address, role, primary and slot count', () => {
    const nodes = parseClusterNodes(NODES);
    assert.equal(nodes.length, 5);
    assert.deepEqual(
      nodes.map((n) => [n.address, n.port, isPrimary(n), n.slots, n.connected]),
      [
        ['127.0.0.2', 6379, true, 5462, true],
        ['127.0.0.3', 6379, true, 5462, true],
        ['127.0.0.4', 6379, true, 5461, false],
        ['127.0.0.5', 6379, false, 0, true],
        ['', 0, false, 0, true],
      ],
    );
    assert.equal(nodes[3]!.primaryId, nodes[0]!.id);
    assert.deepEqual(nodes[0]!.flags, ['myself', 'master']);
  });

  it('counts a failed node and one not yet met as not live', () => {
    assert.deepEqual(parseClusterNodes(NODES).map(isLive), [true, true, false, true, false]);
  });

  it('reads CLUSTER INFO fields', () => {
    const info = parseClusterInfo('cluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_known_nodes:6\r\n');
    assert.equal(info.cluster_state, 'ok');
    assert.equal(info.cluster_known_nodes, '6');
  });
});
