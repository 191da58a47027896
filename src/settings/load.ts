import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { Value } from 'typebox/value';
import { ConfigError } from '../common/errors.js';
import { Settings } from './schema.js';

/** Environment variables and the setting each one sets. */
const ENVIRONMENT: Record<string, string> = {
  TROVE_HOST: 'server.host',
  TROVE_PORT: 'server.port',
  TROVE_PUBLIC_URL: 'server.public_url',
  TROVE_REGION: 'server.region',
  TROVE_DATA_DIR: 'data_dir',
  TROVE_DATABASE_URL: 'database.url',
  TROVE_LOG_LEVEL: 'log.level',
  TROVE_TOKEN_TTL_SECONDS: 'identity.token_ttl_seconds',
  TROVE_S3_ACCESS_KEY: 'object_store.access_key',
  TROVE_S3_SECRET_KEY: 'object_store.secret_key',
};

export interface LoadOptions {
  /** A TOML file; when absent, `trove.toml` in the data folder is read if it exists. */
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Values from command-line flags, by setting path ("server.port"); they win over all else. */
  overrides?: Record<string, string | number | undefined>;
}

type Tree = Record<string, unknown>;

function setPath(tree: Tree, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Tree;
  }
  node[keys[keys.length - 1] as string] = value;
}

function readFile(path: string): Tree {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  try {
    return parseToml(text) as Tree;
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid TOML: ${(err as Error).message}`);
  }
}

/** Strings from the environment or flags become numbers where the setting is numeric. */
function coerce(path: string, raw: string | number): string | number {
  if (typeof raw === 'number') return raw;
  const numeric = ['server.port', 'server.body_limit_bytes', 'identity.token_ttl_seconds'];
  if (numeric.includes(path)) {
    if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${path} must be a whole number, got "${raw}"`);
    return Number(raw);
  }
  return raw;
}

function describe(path: string): string {
  return path.replace(/^\//, '').replace(/\//g, '.') || '(top level)';
}

export function loadSettings(options: LoadOptions = {}): Settings {
  const env = options.env ?? process.env;
  const tree: Tree = {};
  const layered: Array<[string, string | number]> = [];
  for (const [name, path] of Object.entries(ENVIRONMENT)) {
    const value = env[name];
    if (value !== undefined && value !== '') layered.push([path, coerce(path, value)]);
  }
  for (const [path, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) layered.push([path, coerce(path, value)]);
  }

  // The data folder decides where the default config file lives, so find it first.
  const dataDirFromLayers = layered.filter(([p]) => p === 'data_dir').pop()?.[1];
  const explicitFile = options.configFile ?? env.TROVE_CONFIG;
  const implicitFile = join(String(dataDirFromLayers ?? './data'), 'trove.toml');
  const file = explicitFile ?? (existsSync(implicitFile) ? implicitFile : undefined);
  if (file) Object.assign(tree, readFile(file));
  for (const [path, value] of layered) setPath(tree, path, value);

  const withDefaults = Value.Default(Settings, tree);
  const errors = Value.Errors(Settings, withDefaults);
  if (errors.length > 0) {
    const first = errors[0]!;
    const where = file ? ` (config file ${file} or environment)` : '';
    // An unknown key shows up as a "false schema" at the key's own path.
    if (first.keyword === 'boolean' && first.schemaPath.endsWith('/additionalProperties')) {
      throw new ConfigError(`unknown setting "${describe(first.instancePath)}"${where}`);
    }
    throw new ConfigError(`setting "${describe(first.instancePath)}" ${first.message}${where}`);
  }
  const settings = withDefaults as Settings;
  if (settings.object_store.driver === 's3') {
    for (const key of ['endpoint', 'access_key', 'secret_key'] as const) {
      if (!settings.object_store[key]) throw new ConfigError(`setting "object_store.${key}" is needed when object_store.driver is "s3"${file ? ` (config file ${file} or environment)` : ''}`);
    }
  }
  settings.data_dir = resolve(settings.data_dir);
  return settings;
}
