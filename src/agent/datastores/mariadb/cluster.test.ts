import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentConfig } from '../../protocol.js';
import { renderClusterConfig } from './cluster.js';
import { renderConfig, pathsOf } from './config-file.js';

const config = (instanceId: string, address: string): AgentConfig => ({
  instance_id: instanceId,
  engine: 'mariadb',
  address,
  port: 3306,
  volume_dir: `/srv/${instanceId}/volume`,
  volume_mounted: false,
  volume_size_bytes: 1 << 30,
  run_dir: `/srv/${instanceId}/run`,
  log_dir: `/srv/${instanceId}/log`,
  template_dir: '/srv/templates',
});
const membership = { name: 'b3c1e0d2-0000-4000-8000-000000000001', members: ['127.0.40.2', '127.0.40.3', '127.0.40.4'], bootstrap: false, secret: 'a-shared-secret-of-members' };

describe('Galera settings of a MariaDB cluster member', () => {
  it('starts a new cluster alone when it bootstraps, and otherwise joins every member', () => {
    const first = renderClusterConfig(config('m1', '127.0.40.2'), { ...membership, bootstrap: true });
    assert.match(first, /^wsrep_cluster_address = gcomm:\/\/$/m);
    const joiner = renderClusterConfig(config('m2', '127.0.40.3'), membership);
    assert.match(joiner, /^wsrep_cluster_address = gcomm:\/\/127\.0\.40\.2:4567,127\.0\.40\.3:4567,127\.0\.40\.4:4567$/m);
  });

  it('names the cluster and the member in at most 16 characters, which Galera’s handshake takes', () => {
    const text = renderClusterConfig(config('6592513f-971e-436f-b36c-765fe84e69e9', '127.0.40.2'), membership);
    assert.match(text, /^wsrep_cluster_name = b3c1e0d200004000$/m);
    assert.match(text, /^wsrep_node_name = 6592513f971e436f$/m);
  });

  it("listens on the member's own address, transfers state by mariabackup, and shares one server id", () => {
    const a = renderClusterConfig(config('m1', '127.0.40.2'), membership);
    const b = renderClusterConfig(config('m2', '127.0.40.3'), membership);
    assert.match(b, /gmcast\.listen_addr=tcp:\/\/127\.0\.40\.3:4567; ist\.recv_addr=127\.0\.40\.3:4568/);
    assert.match(b, /^wsrep_sst_receive_address = 127\.0\.40\.3:4444$/m);
    assert.match(b, /^wsrep_sst_method = mariabackup$/m);
    assert.match(b, /^\[sst\]\n#.*\nsockopt = bind=127\.0\.40\.3$/m);
    assert.match(b, /^wsrep_provider = \/usr\/lib\/galera\/libgalera_smm\.so$/m);
    const serverId = (text: string) => /^server_id = (\d+)$/m.exec(text)?.[1];
    assert.ok(serverId(a));
    assert.equal(serverId(a), serverId(b), 'GTIDs of one cluster carry one server id');
  });

  it('is included last by my.cnf, after the replication role, so neither a group nor the role undoes it', () => {
    const c = config('m1', '127.0.40.2');
    const lines = renderConfig(c, pathsOf(c), {}).trimEnd().split('\n');
    assert.equal(lines.at(-1), `!include ${pathsOf(c).clusterConfig}`);
    assert.equal(lines.at(-2), `!include ${pathsOf(c).replicationConfig}`);
  });
});
