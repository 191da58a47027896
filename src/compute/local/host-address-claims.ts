import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AddressClaims } from '../../compute/local/address-pool.js';
import { Type, type Static } from 'typebox';
import { parseChecked } from '../../common/json.js';

/** Written by every server on the host, whichever its version: checked when read. */
const Claim = Type.Object({
  /** The data folder of the server whose instance holds the address. */
  dataDir: Type.String(),
  instanceId: Type.String(),
});
type Claim = Static<typeof Claim>;

/** Where every server on this host records the loopback addresses its instances hold; /run is emptied at boot, as addresses are. */
export function defaultClaimsDir(): string {
  return process.getuid?.() === 0 ? '/run/trove/address-claims' : join(tmpdir(), `trove-address-claims-${process.getuid?.() ?? 'user'}`);
}

/** IPv4 addresses with a listening TCP socket of their own (not the wildcard), from /proc/net/tcp. */
export function listeningAddresses(procNetTcp = '/proc/net/tcp'): Set<string> {
  const found = new Set<string>();
  if (!existsSync(procNetTcp)) return found;
  for (const line of readFileSync(procNetTcp, 'utf8').split('\n').slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    if (state !== '0A' || !local) continue;
    const hex = local.split(':')[0]!;
    // The kernel prints the address in host byte order: little-endian on the machines this runs on.
    const octets = [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16));
    found.add(octets.join('.'));
  }
  found.delete('0.0.0.0');
  return found;
}

/**
 * Claims of loopback addresses shared by every `trove serve` on the host: a file per address,
 * made with O_EXCL, naming the server's data folder and the instance. Each server's store
 * knows only its own leases; without these, two servers with the default pool hand out the
 * same addresses and the second one's engines cannot bind.
 */
export class HostAddressClaims implements AddressClaims {
  private readonly dataDir: string;

  constructor(
    private readonly dir: string,
    dataDir: string,
  ) {
    this.dataDir = resolve(dataDir);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
  }

  claim(address: string, instanceId: string, fresh: boolean): boolean {
    const file = this.fileOf(address);
    for (let attempt = 0; attempt < 2; attempt++) {
      const holder = readClaim(file);
      if (holder) {
        if (holder.instanceId === instanceId) return true;
        // The claim of a server whose data folder is gone (removed, never to come back) is free.
        if (existsSync(holder.dataDir)) return false;
        rmSync(file, { force: true });
        continue;
      }
      // A new address must not be one something else on the host already listens on.
      if (fresh && listeningAddresses().has(address)) return false;
      try {
        writeFileSync(file, JSON.stringify({ dataDir: this.dataDir, instanceId } satisfies Claim), { flag: 'wx', mode: 0o644 });
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    return false;
  }

  release(address: string, instanceId: string): void {
    const file = this.fileOf(address);
    if (readClaim(file)?.instanceId === instanceId) rmSync(file, { force: true });
  }

  private fileOf(address: string): string {
    return join(this.dir, address);
  }
}

/** A claim file's contents; undefined when it is gone or still being written. */
function readClaim(file: string): Claim | undefined {
  try {
    return parseChecked(Claim, readFileSync(file, 'utf8'), file);
  } catch {
    return undefined;
  }
}

/** Removes every claim a server's data folder holds: what a test host does when it throws its server away. */
export function releaseClaimsOf(dir: string, dataDir: string): void {
  if (!existsSync(dir)) return;
  const owner = resolve(dataDir);
  for (const address of readdirSync(dir)) {
    const file = join(dir, address);
    if (readClaim(file)?.dataDir === owner) rmSync(file, { force: true });
  }
}
