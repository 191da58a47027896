/** A request the agent refuses; the RPC server answers with its status and message. */
export class AgentRequestError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 422,
    message: string,
  ) {
    super(message);
  }
}
