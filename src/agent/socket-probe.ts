import { connect, type NetConnectOpts } from 'node:net';

/**
 * Asks an engine over a socket (its unix socket, or TCP) whether it answers, without a child process: the agent
 * checks health every second, and a fork of the agent (with a backup's buffers in hand) costs
 * more than the question. `judge` reads what has arrived so far: true (answers), false (up but
 * not ready), or undefined (wait for more). No answer within `timeoutMs` counts as false.
 */
export function probeSocket(where: string | NetConnectOpts, request: Buffer | undefined, judge: (received: Buffer) => boolean | undefined, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    let settled = false;
    const socket = connect(typeof where === 'string' ? { path: where } : where);
    const finish = (answer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('connect', () => {
      if (request) socket.write(request);
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const verdict = judge(received);
      if (verdict !== undefined) finish(verdict);
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}
