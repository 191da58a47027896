import type { ConfigValue, GuestConfiguration } from '../datastore.js';
import type { AgentConfig } from '../protocol.js';
import { ensureInclude, ensureOverrides, writeOverrides, type OverridesSyntax } from './overrides-file.js';

/** A change to put in force in the running engine, its names already checked. */
export interface LiveChange {
  /** The group's values, all of them. */
  values: Record<string, ConfigValue>;
  /** Parameters of `values` to set now. */
  live: string[];
  /** Parameters no longer in the group, to set back to what the engine starts with. */
  revert: string[];
}

/** What is each engine's own in applying configuration groups. */
export interface ConfigurationStrategy {
  /** The parameter names the engine's files and statements take; others are refused or skipped. */
  names: RegExp;
  /** The overrides file and the main file, which reads it last. */
  files(config: AgentConfig): { overridesFile: string; configFile: string };
  syntax: OverridesSyntax;
  /** The main file's line that reads the overrides file, added where a file from before groups lacks it; absent where every main file has it. */
  include?(overridesFile: string): string;
  /** Puts the change in force in the running engine; returns the reverted parameters that wait for a restart. */
  applyLive(config: AgentConfig, change: LiveChange): Promise<string[]>;
  /** The running engine's current values of parameters (names already checked, at least one). */
  read(config: AgentConfig, names: string[]): Promise<Record<string, string>>;
}

/** A datastore's configuration groups, with the empty overrides file its prepare writes. */
export interface EngineConfiguration extends GuestConfiguration {
  ensureOverrides(config: AgentConfig): void;
}

/**
 * Configuration groups as every engine applies them: the values go to an overrides file that the
 * main file includes last (so they win at every start), then the engine's strategy puts them in
 * force now.
 */
export function engineConfiguration(strategy: ConfigurationStrategy): EngineConfiguration {
  const { names } = strategy;
  return {
    ensureOverrides(config) {
      ensureOverrides(strategy.files(config).overridesFile, strategy.syntax);
    },

    async apply(config, values, live, revert = []) {
      for (const name of Object.keys(values)) if (!names.test(name)) throw new Error(`invalid parameter name ${name}`);
      const { overridesFile, configFile } = strategy.files(config);
      writeOverrides(overridesFile, strategy.syntax, values);
      if (strategy.include) ensureInclude(configFile, strategy.include(overridesFile));
      return strategy.applyLive(config, {
        values,
        live: live.filter((name) => name in values),
        revert: revert.filter((name) => names.test(name) && !(name in values)),
      });
    },

    async read(config, requested) {
      const wanted = requested.filter((name) => names.test(name));
      return wanted.length === 0 ? {} : strategy.read(config, wanted);
    },
  };
}
