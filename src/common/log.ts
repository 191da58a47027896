import { pino, type Logger, type LoggerOptions } from 'pino';

/** Paths that may carry secrets anywhere in a logged object; pino replaces them. */
const SECRET_PATHS = ['password', '*.password', '*.*.password', 'auth.identity.password.user.password', 'req.headers["x-auth-token"]', 'req.headers["x-subject-token"]', 'res.headers["x-subject-token"]', 'headers["x-auth-token"]', 'token', 'adminPassword'];

export type { Logger };

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const options: LoggerOptions = {
    level,
    redact: { paths: SECRET_PATHS, censor: '***' },
    base: { pid: process.pid },
  };
  return destination ? pino(options, destination as never) : pino(options);
}
