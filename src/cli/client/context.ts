import { Option, type Command } from 'commander';
import { TroveApi } from './api.js';
import { usageError } from './errors.js';
import { Output } from './output.js';

export interface Client {
  api: TroveApi;
  out: Output;
}

/** Runs a client command with an authenticated session and the output it prints through. */
export async function withClient(command: Command, work: (client: Client) => Promise<void>): Promise<void> {
  const out = Output.for(command);
  const api = await TroveApi.connect();
  await work({ api, out });
}

export interface WaitFlags {
  wait?: boolean;
  timeout: string;
}

/** `--wait` and `--timeout` for commands whose operation goes on after the API answers. */
export function addWaitOptions(command: Command, defaultTimeout = 1800): Command {
  return command.option('--wait', 'wait until the operation ends, showing its progress').option('--timeout <seconds>', 'with --wait: how long to wait', String(defaultTimeout));
}

export function timeoutOf(flags: WaitFlags): number {
  return positiveInteger('--timeout')(flags.timeout);
}

/**
 * A boolean flag spelled both ways troveclient accepts (`--detach_replica_source` and
 * `--detach-replica-source`); commander takes one long name an option, so the other is hidden.
 */
export function addFlagWithAlias(command: Command, underscored: string, description: string): Command {
  return command.option(underscored, description).addOption(new Option(underscored.replace(/_/g, '-')).hideHelp());
}

/** Whether a flag added by addFlagWithAlias was given in either spelling. */
export function flagGiven(flags: object, underscored: string): boolean {
  const name = underscored.replace(/^--/, '');
  const camel = name.replace(/[_-]([a-z])/g, (_m, c: string) => c.toUpperCase());
  const given = flags as Record<string, unknown>;
  return given[name] === true || given[camel] === true;
}

export interface PageFlags {
  limit?: number;
  marker?: string;
}

/** `--limit` and `--marker`, for one page of a list. */
export function addPageOptions(command: Command, what: string): Command {
  return command.option('--limit <n>', 'at most this many (one page)', positiveInteger('--limit')).option('--marker <id>', `start after this ${what} (one page)`);
}

/** A parser for a whole number of at least 1, refusing anything else with the flag's name. */
export function positiveInteger(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw usageError(`${name} must be a whole number of at least 1, got '${value}'`);
    return Number(value);
  };
}

/** A JSON object given on the command line, such as a configuration group's values. */
export function jsonObject(name: string, text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw usageError(`${name} must be a JSON object such as '{"max_connections": 200}': ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw usageError(`${name} must be a JSON object such as '{"max_connections": 200}'`);
  return parsed as Record<string, unknown>;
}

/** `name@host` as the Trove API names a user with a host in its path, quoted as troveclient does. */
export function userPath(name: string, host?: string): string {
  return encodeURIComponent(host ? `${name}@${host}` : name).replace(/\./g, '%2e');
}
