import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { datastoreModule } from '../agent/datastores/index.js';
import type { AgentConfig } from '../agent/protocol.js';
import { DESCRIPTORS } from './descriptors/index.js';

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

describe('the catalog’s descriptors and the agent’s modules agree', () => {
  for (const descriptor of DESCRIPTORS) {
    it(`${descriptor.name}: the engine module exists and runs its engine as the user the packet filter lets replicate`, () => {
      const module = datastoreModule(descriptor.engine);
      assert.equal(module.command(config(descriptor.engine, '15')).user, descriptor.engineUser);
    });
  }
});
