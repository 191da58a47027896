import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { datastoreEngines, datastoreModule } from '../agent/datastores/index.js';
import type { DatastoreModule } from '../agent/datastore.js';
import { NAME as PROTOCOL_DATABASE_NAME, UserSpec, type AgentConfig } from '../agent/protocol.js';
import { DESCRIPTORS } from './descriptors/index.js';
import type { DatastoreCapabilities, DatastoreDescriptor } from './descriptor.js';

/** An instance's agent config, as the driver would write it: only paths and names are read here. */
const config = (engine: string, version: string): AgentConfig => ({
  instance_id: '00000000-0000-4000-8000-000000000000',
  engine,
  engine_version: version,
  address: '127.0.10.1',
  port: 1,
  volume_dir: '/nonexistent/volume',
  volume_mounted: false,
  volume_size_bytes: 1,
  run_dir: '/nonexistent/run',
  log_dir: '/nonexistent/log',
  template_dir: '/nonexistent/templates',
});

/** What an engine module implements, in the catalog's terms. */
function capabilitiesOf(module: DatastoreModule): DatastoreCapabilities {
  return {
    databases: module.admin?.databases ?? false,
    users: module.admin !== undefined,
    root: module.admin !== undefined,
    configuration: module.configuration !== undefined,
    backup: { full: module.backup !== undefined, incremental: module.backup?.incremental ?? false },
    replication: module.replication !== undefined,
    clusters: (module as { cluster?: unknown }).cluster !== undefined,
  };
}

/** The logs a module lists for an instance not started yet: a SYS log is on from the start, a USER log off until switched on. */
async function logsOf(module: DatastoreModule, engine: string): Promise<DatastoreDescriptor['logs']> {
  const logs = await module.logs.list(config(engine, '15'));
  return logs.map((l) => ({ name: l.name, type: l.enabled ? 'SYS' : 'USER' }));
}

/** The comparison itself, apart so that a planted difference can show it fails. */
async function disagreements(descriptors: readonly DatastoreDescriptor[], engines: readonly string[], moduleOf: (engine: string) => DatastoreModule): Promise<string[]> {
  const problems: string[] = [];
  const described = new Set(descriptors.map((d) => d.engine));
  for (const engine of engines) if (!described.has(engine)) problems.push(`the agent has a module for '${engine}', which no descriptor names`);
  for (const descriptor of descriptors) {
    if (!engines.includes(descriptor.engine)) {
      problems.push(`${descriptor.name}: the agent has no module for engine '${descriptor.engine}'`);
      continue;
    }
    const module = moduleOf(descriptor.engine);
    try {
      assert.deepEqual(capabilitiesOf(module), descriptor.capabilities);
    } catch {
      problems.push(`${descriptor.name}: the descriptor says ${JSON.stringify(descriptor.capabilities)}, the agent's module implements ${JSON.stringify(capabilitiesOf(module))}`);
    }
    const logs = await logsOf(module, descriptor.engine);
    try {
      assert.deepEqual(logs, descriptor.logs);
    } catch {
      problems.push(`${descriptor.name}: the descriptor offers logs ${JSON.stringify(descriptor.logs)}, the agent's module has ${JSON.stringify(logs)}`);
    }
  }
  return problems;
}

describe('the catalog’s descriptors and the agent’s modules agree', () => {
  for (const descriptor of DESCRIPTORS) {
    it(`${descriptor.name}: the engine module exists and runs its engine as the user the packet filter lets replicate`, () => {
      const module = datastoreModule(descriptor.engine);
      assert.equal(module.command(config(descriptor.engine, '15')).user, descriptor.engineUser);
    });
  }

  for (const descriptor of DESCRIPTORS) {
    it(`${descriptor.name}: says how its clusters are made exactly when it has clusters`, () => {
      assert.equal(descriptor.cluster !== undefined, descriptor.capabilities.clusters);
      if (descriptor.cluster) assert.ok(Number.isInteger(descriptor.cluster.minMembers) && descriptor.cluster.minMembers >= 1);
    });
  }

  it('every engine of one is in the other, with the same capabilities and logs', async () => {
    assert.deepEqual(await disagreements(DESCRIPTORS, datastoreEngines(), datastoreModule), []);
  });

  it('finds an engine or a capability that one side has and the other lacks', async () => {
    const redis = DESCRIPTORS.find((d) => d.name === 'redis')!;
    const withIncremental = DESCRIPTORS.map((d) => (d === redis ? { ...d, capabilities: { ...d.capabilities, backup: { full: true, incremental: true } } } : d));
    assert.match((await disagreements(withIncremental, datastoreEngines(), datastoreModule)).join('\n'), /^redis: the descriptor says .*"incremental":true.*the agent's module implements .*"incremental":false/);
    const withoutRedis = DESCRIPTORS.filter((d) => d !== redis);
    assert.deepEqual(await disagreements(withoutRedis, datastoreEngines(), datastoreModule), ["the agent has a module for 'redis', which no descriptor names"]);
    const extraEngine = [...DESCRIPTORS, { ...redis, name: 'valkey', engine: 'valkey' }];
    assert.deepEqual(await disagreements(extraEngine, datastoreEngines(), datastoreModule), ["valkey: the agent has no module for engine 'valkey'"]);
    const moreLogs = DESCRIPTORS.map((d) => (d === redis ? { ...d, logs: [...d.logs, { name: 'slowlog', type: 'USER' as const }] } : d));
    assert.match((await disagreements(moreLogs, datastoreEngines(), datastoreModule)).join('\n'), /^redis: the descriptor offers logs/);
  });
});

describe('each datastore’s name rules', () => {
  /** Names of every printable ASCII character, at every length up to 100, alone and after a letter. */
  const probes = [...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i))].flatMap((ch) => Array.from({ length: 100 }, (_, n) => [ch.repeat(n + 1), `a${ch.repeat(n)}`]).flat());
  const protocolUser = new RegExp((UserSpec.properties.name as { pattern?: string }).pattern!);
  const protocolDatabase = new RegExp(PROTOCOL_DATABASE_NAME);

  for (const descriptor of DESCRIPTORS) {
    it(`${descriptor.name}: the agent protocol accepts every name the descriptor allows`, () => {
      const user = new RegExp(descriptor.names.user.pattern);
      for (const name of probes.filter((p) => user.test(p))) assert.ok(protocolUser.test(name), `user ${name}`);
      if (descriptor.names.database) {
        const database = new RegExp(descriptor.names.database.pattern);
        for (const name of probes.filter((p) => database.test(p))) assert.ok(protocolDatabase.test(name), `database ${name}`);
      }
      assert.equal(descriptor.names.database !== undefined, descriptor.capabilities.databases);
    });
  }

  it('are each datastore’s own: PostgreSQL’s identifiers stop at 63 characters, MariaDB’s users at 80', () => {
    const rule = (name: string, kind: 'user' | 'database') => new RegExp(DESCRIPTORS.find((d) => d.name === name)!.names[kind]!.pattern);
    assert.ok(rule('mysql', 'user').test('u'.repeat(80)) && !rule('mysql', 'user').test('u'.repeat(81)));
    assert.ok(rule('mysql', 'database').test('d'.repeat(64)) && !rule('mysql', 'database').test('d'.repeat(65)));
    assert.ok(rule('postgresql', 'user').test('u'.repeat(63)) && !rule('postgresql', 'user').test('u'.repeat(64)));
    assert.ok(rule('postgresql', 'database').test('d'.repeat(63)) && !rule('postgresql', 'database').test('d'.repeat(64)));
    assert.ok(rule('redis', 'user').test('u'.repeat(80)) && !rule('redis', 'user').test('bad name'));
  });
});
