import type { Static, TObject, TSchema } from 'typebox';

/**
 * One agent route, declared once: the agent serves it from this declaration and the control
 * plane calls it through the typed client, which checks the answer against `response`.
 *
 * `request` holds everything the caller sends: fields named in the path (`/backups/:id`) go
 * there, the rest in the query string (GET) or the JSON body (POST, PUT). No `request`: nothing
 * is sent (an empty body for POST) and nothing is checked.
 */
export interface Route<Req extends TObject | undefined = TObject | undefined, Res extends TSchema = TSchema> {
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly request: Req;
  readonly response: Res;
  /** How long the caller waits for the answer. */
  readonly timeoutMs: number;
  /** Polled often: the agent logs it only when something goes wrong. */
  readonly quiet?: boolean;
}

// biome-ignore lint/suspicious/noConfusingVoidType: void lets a call to a route without a body leave the argument out.
export type RequestOf<R extends Route> = R['request'] extends TObject ? Static<R['request']> : void;
export type ResponseOf<R extends Route> = Static<R['response']>;

/** How long callers wait, by what the agent does before it answers. */
export const TIMEOUT = {
  /** Answers from memory (status). */
  quick: 3_000,
  /** Starts work in the background and answers at once (prepare). */
  accept: 10_000,
  /** Reads from the engine or the volume. */
  read: 30_000,
  /** Changes the engine (users, configuration, replication). */
  change: 60_000,
  /** Stops and starts the engine. */
  restart: 180_000,
  /** Moves data between the members of a cluster (a reshard), which grows with the data. */
  move: 1_800_000,
} as const;

/** Declares a route, keeping its schemas' exact types. */
export function route<const Req extends TObject | undefined, const Res extends TSchema>(declaration: Route<Req, Res>): Route<Req, Res> {
  return declaration;
}

/** The names of the path's parameters: `/backups/:id/abort` → ['id']. */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(/:([a-z_]+)/g)].map((m) => m[1]!);
}
