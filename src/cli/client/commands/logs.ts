import type { Command } from 'commander';
import { withClient } from '../context.js';
import type { Output } from '../output.js';
import { INSTANCES, idOf } from '../resolve.js';

interface LogView {
  name: string;
  type: string;
  status: string;
  published: number;
  pending: number;
  container: string;
  prefix: string;
  metafile: string;
}

function printLog(out: Output, log: LogView): void {
  out.record(log, [
    ['name', log.name],
    ['type', log.type],
    ['status', log.status],
    ['published', log.published],
    ['pending', log.pending],
    ['container', log.container],
    ['prefix', log.prefix],
    ['metafile', log.metafile],
  ]);
}

/** Guest logs: what the engine writes, switched on and off and published to object storage. */
export function registerLogCommands(program: Command): void {
  program
    .command('log-list <instance>')
    .description("list an instance's logs")
    .action(async (ref: string, _flags, command: Command) =>
      withClient(command, async ({ api, out }) => {
        const id = await idOf(api, INSTANCES, ref);
        const { logs } = await api.get<{ logs: LogView[] }>(`/instances/${id}/log`);
        out.list(
          logs,
          [
            { header: 'Name', value: (l) => l.name },
            { header: 'Type', value: (l) => l.type },
            { header: 'Status', value: (l) => l.status, status: true },
            { header: 'Published', value: (l) => l.published },
            { header: 'Pending', value: (l) => l.pending },
            { header: 'Container', value: (l) => l.container },
          ],
          'No logs.',
        );
      }),
    );

  const logAction = (verb: string, description: string, body: (flags: { disable?: boolean; discard?: boolean }) => object) =>
    program
      .command(`${verb} <instance> <log_name>`)
      .description(description)
      .option('--disable', 'also switch the log off (log-publish)')
      .option('--discard', 'also discard what was published before (log-publish, log-disable)')
      .action(async (ref: string, name: string, flags: { disable?: boolean; discard?: boolean }, command: Command) =>
        withClient(command, async ({ api, out }) => {
          const id = await idOf(api, INSTANCES, ref);
          printLog(out, (await api.post<{ log: LogView }>(`/instances/${id}/log`, { name, ...body(flags) })).log);
        }),
      );
  logAction('log-show', 'show a log: its status and what was published', () => ({}));
  logAction('log-enable', 'switch a log on', () => ({ enable: 1 }));
  logAction('log-disable', 'switch a log off', (flags) => ({ disable: 1, ...(flags.discard ? { discard: 1 } : {}) }));
  logAction('log-publish', 'publish what the log holds to object storage', (flags) => ({ publish: 1, ...(flags.disable ? { disable: 1 } : {}), ...(flags.discard ? { discard: 1 } : {}) }));
  logAction('log-discard', 'discard what was published of a log', () => ({ discard: 1 }));
}
