import { createServer, type Server } from 'node:http';
import { ConfigError } from '../common/errors.js';
import type { Logger } from '../common/log.js';
import type { ServerMetrics } from '../metrics/server-metrics.js';

/** `host:port` or `[v6]:port`, as settings.metrics.listen_address holds it. */
function hostAndPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(colon + 1));
  if (!host || !Number.isInteger(port) || port < 0 || port > 65_535) throw new ConfigError(`metrics.listen_address '${address}' is not host:port`);
  return { host, port };
}

/** Answers Prometheus' scrapes: GET /metrics, nothing else. */
export async function startMetricsListener(metrics: ServerMetrics, address: string, log: Logger): Promise<{ close(): Promise<void> }> {
  const { host, port } = hostAndPort(address);
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Only GET /metrics is served here.\n');
      return;
    }
    metrics
      .scrape()
      .then(({ contentType, body }) => response.writeHead(200, { 'content-type': contentType }).end(body))
      .catch((err: Error) => {
        log.error({ err: err.message }, 'metrics could not be read');
        response.writeHead(500, { 'content-type': 'text/plain' }).end('The metrics could not be read; see the server log.\n');
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new ConfigError(`cannot listen for metrics on ${address} (${err.code ?? err.message}); choose another metrics.listen_address`)));
    server.listen(port, host, () => resolve());
  });
  log.info(`Prometheus metrics on http://${address}/metrics`);
  return {
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
