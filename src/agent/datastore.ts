import type { AgentConfig, PrepareRequest } from './protocol.js';

/** How to start an engine process; the agent runs and supervises it. */
export interface EngineCommand {
  executable: string;
  args: string[];
  /** The unprivileged system user the engine runs as. */
  user: string;
  /** A file where the engine writes its pid, to find it again after an agent restart. */
  pidFile: string;
}

/**
 * What each datastore module implements for the agent. Everything engine-specific lives in
 * agent/datastores/<engine>/ behind this interface.
 */
export interface DatastoreModule {
  readonly engine: string;
  /** Initialise the data on the volume and write tuned configuration; idempotent. */
  initialise(config: AgentConfig, request: PrepareRequest): Promise<void>;
  command(config: AgentConfig): EngineCommand;
  /** True when the engine answers queries. */
  ping(config: AgentConfig): Promise<boolean>;
  /** After the first start: hardening, then the databases and users of the create request. */
  secure(config: AgentConfig, request: PrepareRequest): Promise<void>;
  version(config: AgentConfig): Promise<string | undefined>;
}
