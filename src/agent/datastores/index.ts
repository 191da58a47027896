import type { DatastoreModule } from '../datastore.js';
import { mariadbModule } from './mariadb/index.js';
import { postgresqlModule } from './postgresql/index.js';
import { redisModule } from './redis/index.js';

/** The agent's datastore modules, by the engine name the catalog gives. */
const MODULES: Record<string, DatastoreModule> = {
  mariadb: mariadbModule,
  postgresql: postgresqlModule,
  redis: redisModule,
};

/** The engines this agent has a module for. */
export function datastoreEngines(): string[] {
  return Object.keys(MODULES);
}

export function datastoreModule(engine: string): DatastoreModule {
  const module = MODULES[engine];
  if (!module) throw new Error(`this agent has no module for engine '${engine}'`);
  return module;
}
