import { BadRequest, Conflict, NotFound, type TroveFault, UnprocessableEntity } from '../../common/errors.js';
import { AgentRefused, AgentUnreachable } from './client.js';

/**
 * The one translation of an agent's failure into the fault a tenant hears. A guest agent that
 * does not answer is a 422, as OpenStack Trove answers for an instance whose guest is not ready
 * ("Instance … is not ready", UnprocessableEntity); the caller may try again shortly. A refusal
 * keeps the agent's message and its kind (`refused` may say otherwise for a whole service); any
 * other failure goes on as it is (an internal error).
 */
export function agentFault(err: unknown, instanceId: string, refused?: (message: string) => TroveFault): never {
  if (err instanceof AgentUnreachable) throw new UnprocessableEntity(`Instance '${instanceId}' is not ready: its guest agent does not answer; try again shortly.`);
  if (err instanceof AgentRefused) {
    if (refused) throw refused(err.message);
    if (err.status === 404) throw new NotFound(err.message);
    if (err.status === 409) throw new Conflict(err.message);
    if (err.status === 422) throw new UnprocessableEntity(err.message);
    throw new BadRequest(err.message);
  }
  throw err;
}
