import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Exposure } from '../driver.js';

/** One instance's exposure, as the packet filter renders it. */
export interface ExposedInstance extends Exposure {
  instanceId: string;
}

const ROUTE_LOCALNET = '/proc/sys/net/ipv4/conf/all/route_localnet';

function nft(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('nft', ['-f', '-'], { timeout: 30_000 }, (err, _stdout, stderr) => (err ? reject(new Error(`nft: ${stderr.trim() || err.message}`)) : resolve()));
    child.stdin?.end(script);
  });
}

function canonical(cidr: string): string {
  return cidr.includes('/') ? cidr : `${cidr}/32`;
}

const isLoopback = (address: string) => address.startsWith('127.');

/** The chain name of an instance's source check (nft names: letters, digits, underscore). */
function chainOf(instanceId: string): string {
  return `i_${instanceId.replace(/[^A-Za-z0-9]/g, '').slice(0, 32)}`;
}

/**
 * The whole table for a set of instances. Declarative: the table is replaced in one nft
 * transaction, so a change is atomic and a restart or a lost rule is mended by rendering again.
 * - public: connections to the public endpoint are translated to the private one, from this
 *   host (output) and from others (prerouting);
 * - allowed_cidrs: a new connection to the engine's private port from any other source is
 *   dropped, whichever path it came by; connections from the instance's own address and those
 *   the engines make themselves (replication between instances on this host, by the engine's
 *   system user) pass on the private path.
 * - a public address off loopback needs the kernel to route to loopback addresses
 *   (route_localnet); then packets for 127.0.0.0/8 that arrive from outside are dropped unless
 *   this table translated them, so the private addresses stay private.
 */
function renderTable(table: string, instances: readonly ExposedInstance[], guardLoopback: boolean): string {
  const dnat: string[] = [];
  const checks: string[] = [];
  const chains: string[] = [];
  for (const i of instances) {
    if (i.public) dnat.push(`    ip daddr ${i.public.address} tcp dport ${i.public.port} dnat to ${i.address}:${i.port}`);
    if (i.allowedCidrs.length === 0) continue;
    const chain = chainOf(i.instanceId);
    checks.push(`    ip daddr ${i.address} tcp dport ${i.port} ct state new jump ${chain}`);
    chains.push(
      [
        `  chain ${chain} {`,
        // The instance's own address is always inside: its agent's health check comes from it.
        `    ip saddr { ${[`${i.address}/32`, ...i.allowedCidrs.map(canonical)].join(', ')} } accept`,
        `    ct original ip daddr ${i.address} meta skuid "${i.engineUser}" accept`,
        '    drop',
        '  }',
      ].join('\n'),
    );
  }
  return [
    `table ip ${table} {`,
    '  chain publish_local {',
    '    type nat hook output priority -100; policy accept;',
    ...dnat,
    '  }',
    '  chain publish_remote {',
    '    type nat hook prerouting priority -100; policy accept;',
    ...dnat,
    '  }',
    '  chain check_local {',
    '    type filter hook output priority 0; policy accept;',
    ...checks,
    '  }',
    '  chain check_remote {',
    '    type filter hook input priority 0; policy accept;',
    '    iifname "lo" accept',
    ...(guardLoopback ? ['    ip daddr 127.0.0.0/8 ct status & dnat == 0 drop'] : []),
    ...checks,
    '  }',
    ...chains,
    '}',
    '',
  ].join('\n');
}

/**
 * The kernel's packet filter (nftables) for this server's instances: one table, named after the
 * instances' folder so that two servers on one host keep apart, holding every instance's rules.
 * Changes are serialised in this process; each one renders the table anew from what it is given.
 */
/** The table of the server whose instances live in `root`. */
export function tableFor(root: string): string {
  return `trove_${createHash('sha256').update(resolve(root)).digest('hex').slice(0, 10)}`;
}

export class PacketFilter {
  readonly table: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    root: string,
    /** Where the route_localnet value found before this server changed it is kept. */
    private readonly routeLocalnetFile: string,
  ) {
    this.table = tableFor(root);
  }

  /** Replaces the table with the rules of `instances` (removes it when none need rules). */
  apply(instances: readonly ExposedInstance[]): Promise<void> {
    const next = this.queue.then(() => this.load(instances));
    // The caller hears a failure through the promise returned; the queue only goes on past it.
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async load(instances: readonly ExposedInstance[]): Promise<void> {
    const needed = instances.filter((i) => i.public || i.allowedCidrs.length > 0);
    const remote = needed.some((i) => i.public && !isLoopback(i.public.address));
    if (remote) this.enableRouteLocalnet();
    // Declaring the table first makes the delete succeed when it does not exist yet.
    const reset = `table ip ${this.table} {}\ndelete table ip ${this.table}\n`;
    await nft(needed.length > 0 ? reset + renderTable(this.table, needed, remote) : reset);
    if (!remote) this.restoreRouteLocalnet();
  }

  /** Packets to a loopback address from another host are dropped by the kernel unless this is on. */
  private enableRouteLocalnet(): void {
    const current = readFileSync(ROUTE_LOCALNET, 'utf8').trim();
    if (current === '1') return;
    if (!existsSync(this.routeLocalnetFile)) writeFileSync(this.routeLocalnetFile, current);
    writeFileSync(ROUTE_LOCALNET, '1');
  }

  private restoreRouteLocalnet(): void {
    if (!existsSync(this.routeLocalnetFile)) return;
    writeFileSync(ROUTE_LOCALNET, readFileSync(this.routeLocalnetFile, 'utf8').trim());
    rmSync(this.routeLocalnetFile);
  }
}
