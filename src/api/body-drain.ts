import type { FastifyReply, FastifyRequest } from 'fastify';

/** After a 413 this much more of the body is read and dropped, at most, before the connection is cut. */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;
const DRAIN_LIMIT_MS = 10_000;

/**
 * A body over the limit is answered 413 and the rest of it read and dropped, so that the client,
 * still sending, reads the answer instead of a reset connection (closing at once resets it).
 * Bounded: past DRAIN_LIMIT_BYTES or DRAIN_LIMIT_MS the connection is cut.
 */
export function drainOversizedBody(request: FastifyRequest, reply: FastifyReply): void {
  const raw = request.raw;
  // Fastify asks for the connection to close; Node would then close it under the client's upload.
  reply.removeHeader('connection');
  if (raw.complete) return;
  let drained = 0;
  const cut = () => raw.socket?.destroy();
  const timer = setTimeout(cut, DRAIN_LIMIT_MS);
  timer.unref();
  raw.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_LIMIT_BYTES) cut();
  });
  raw.once('end', () => clearTimeout(timer));
  raw.once('close', () => clearTimeout(timer));
  raw.resume();
}
