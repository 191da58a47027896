import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../common/atomic-file.js';
import { parseOwn } from '../common/json.js';
import type { ClusterMembership, ClusterMemberStatus, ClusterNode, ClusterPosition } from './cluster-protocol.js';
import type { GuestCluster } from './datastore.js';
import { AgentRequestError } from './errors.js';
import type { AgentConfig } from './protocol.js';

/**
 * This instance's place in a cluster, kept beside the agent's state so that every later write of
 * the engine's settings (a new list of members) knows the rest; the engine's strategy writes them.
 */
export class ClusterMember {
  /** The change of the cluster's shape under way (form, add, remove): one at a time. */
  private reshaping: Promise<void> = Promise.resolve();

  constructor(
    private readonly config: AgentConfig,
    private readonly file: string,
    private readonly engine: string,
    private readonly strategy: GuestCluster | undefined,
  ) {}

  private clustering(): GuestCluster {
    if (!this.strategy) throw new AgentRequestError(400, `The ${this.engine} datastore has no clusters.`);
    return this.strategy;
  }

  read(): ClusterMembership | undefined {
    return existsSync(this.file) ? parseOwn<ClusterMembership>(readFileSync(this.file, 'utf8')) : undefined;
  }

  private async write(membership: ClusterMembership): Promise<void> {
    await this.clustering().writeMembership(this.config, membership);
    // Holds the members' shared secret: the agent's alone.
    writeFileAtomic(this.file, JSON.stringify(membership), 0o600);
  }

  /** Before the engine's first start. */
  async join(membership: ClusterMembership): Promise<void> {
    await this.write(membership);
  }

  /**
   * On the member that started the cluster, once its engine answers: secures it, then writes the
   * full list of members, so that a later start of this member rejoins the others instead of
   * starting a second cluster.
   */
  async bootstrapped(): Promise<void> {
    const membership = this.read();
    if (!membership?.bootstrap) return;
    await this.clustering().secureBootstrap(this.config, membership);
    await this.write({ ...membership, bootstrap: false });
  }

  async changeMembers(members: string[]): Promise<void> {
    await this.write({ ...this.requireMember(), members, bootstrap: false });
  }

  /** Refuses an instance outside any cluster. */
  requireMember(): ClusterMembership {
    const membership = this.read();
    if (!membership) throw new AgentRequestError(409, 'This instance is not a member of a cluster.');
    return membership;
  }

  /** With the engine stopped: how far this member's data goes. */
  async position(): Promise<ClusterPosition> {
    this.requireMember();
    return this.clustering().position(this.config);
  }

  /** With the engine stopped: its next start begins a new cluster from this member's data, which the others then receive. */
  async startNew(): Promise<void> {
    await this.write({ ...this.requireMember(), bootstrap: true });
    await this.clustering().allowBootstrap(this.config);
  }

  async status(): Promise<ClusterMemberStatus> {
    const strategy = this.clustering();
    this.requireMember();
    return strategy.status(this.config);
  }

  /** The member's type as its engine sees it now; undefined outside a cluster or for engines whose members are all alike. */
  async currentType(): Promise<string | undefined> {
    if (!this.strategy?.currentType || !this.read()) return undefined;
    return this.strategy.currentType(this.config);
  }

  /**
   * A change asked again while it runs (its caller was restarted) waits for the one under way and
   * then finishes what is left; engines whose members join as they start have nothing to do.
   */
  private reshape(work: (assembly: NonNullable<GuestCluster['assembly']>, membership: ClusterMembership) => Promise<void>): Promise<void> {
    const membership = this.requireMember();
    const assembly = this.clustering().assembly;
    if (!assembly) return Promise.resolve();
    const next = this.reshaping.catch(() => undefined).then(() => work(assembly, membership));
    this.reshaping = next;
    return next;
  }

  form(members: ClusterNode[]): Promise<void> {
    return this.reshape((assembly, membership) => assembly.form(this.config, membership, members));
  }

  add(members: ClusterNode[]): Promise<void> {
    return this.reshape((assembly, membership) => assembly.add(this.config, membership, members));
  }

  remove(addresses: string[]): Promise<void> {
    return this.reshape((assembly, membership) => assembly.remove(this.config, membership, addresses));
  }
}
