import type { Command } from 'commander';
import { ConfigError } from '../common/errors.js';
import { addStoreOptions, settingsFrom, type StoreOptions } from './settings-options.js';

export function registerServe(program: Command): void {
  addStoreOptions(
    program
      .command('serve')
      .description('run the Trove API (identity + Trove v1.0) on this host')
      .option('--host <address>', 'address to listen on (env TROVE_HOST, default 127.0.0.1)')
      .option('--port <port>', 'port to listen on (env TROVE_PORT, default 8779)'),
  ).action(async (options: StoreOptions & { host?: string; port?: string }) => {
    // Loaded here, not at the top: other subcommands (the agent above all) start faster without them.
    const [{ buildApi }, { createServices }, { createLogger }, { startMetricsListener }] = await Promise.all([import('../api/server.js'), import('../app/services.js'), import('../common/log.js'), import('../app/metrics-listener.js')]);
    const settings = await settingsFrom(options);
    const logger = createLogger(settings.log.level);
    const services = await createServices(settings, { logger });
    const app = await buildApi(services, { logger });
    let metricsListener: { close(): Promise<void> } | undefined;
    const stop = async (signal: string) => {
      logger.info({ signal }, 'stopping');
      await metricsListener?.close();
      await app.close();
      await services.close();
      process.exit(0);
    };
    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
    try {
      await app.listen({ host: settings.server.host, port: settings.server.port });
    } catch (err) {
      await services.close();
      const code = (err as { code?: string }).code;
      const where = `${settings.server.host}:${settings.server.port}`;
      if (code === 'EADDRINUSE') throw new ConfigError(`cannot listen on ${where}: the address is in use (another trove serve?); choose another with --port or TROVE_PORT`);
      if (code === 'EADDRNOTAVAIL' || code === 'EACCES') throw new ConfigError(`cannot listen on ${where} (${code}); choose another with --host/--port`);
      throw err;
    }
    if (settings.metrics.listen_address) {
      try {
        metricsListener = await startMetricsListener(services.metrics, settings.metrics.listen_address, logger);
      } catch (err) {
        await app.close();
        await services.close();
        throw err;
      }
    }
    services.startBackground();
    const versions = services.catalog.list(true).map((ds) => `${ds.name} ${ds.versions.map((v) => v.name).join('/')}`);
    logger.info({ store: services.store.location, datastores: versions }, `Trove API listening on http://${settings.server.host}:${settings.server.port}`);
  });
}
