import type { Command } from 'commander';
import type { Settings } from '../settings/schema.js';

export interface StoreOptions {
  config?: string;
  dataDir?: string;
  databaseUrl?: string;
}

/** Flags every command that opens the state store takes. */
export function addStoreOptions(command: Command): Command {
  return command
    .option('--config <file>', 'TOML config file (default: <data-dir>/trove.toml if present; env TROVE_CONFIG)')
    .option('--data-dir <dir>', 'data folder (env TROVE_DATA_DIR, default ./data)')
    .option('--database-url <url>', 'state store: postgresql://… or sqlite:/path (env TROVE_DATABASE_URL; default SQLite in the data folder)');
}

export async function settingsFrom(options: StoreOptions & { host?: string; port?: string }): Promise<Settings> {
  const { loadSettings } = await import('../settings/load.js');
  return loadSettings({
    configFile: options.config,
    overrides: {
      data_dir: options.dataDir,
      'database.url': options.databaseUrl,
      'server.host': options.host,
      'server.port': options.port,
    },
  });
}
