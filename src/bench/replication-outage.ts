import { join } from 'node:path';
import { sleep } from '../common/time.js';
import type { ApiClient } from '../test-support/http-client.js';
import type { DatastoreProfile } from '../test-support/datastore-profiles.js';
import { loseHost } from '../test-support/host-loss.js';
import type { Row } from './stats.js';

interface Member {
  id: string;
  ip: string;
}

/**
 * A client that keeps writing through a switchover or failover, as an application that knows
 * the set's addresses would: each write goes to the member that took the last one, else to the
 * other. The outage is the longest time between two acknowledged writes.
 */
class Writer {
  private stopped = false;
  private readonly acknowledged: number[] = [];
  private done: Promise<void> | undefined;
  private counter = 0;

  constructor(
    private readonly profile: DatastoreProfile,
    private readonly members: () => Member[],
  ) {}

  start(): void {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    let preferred = 0;
    while (!this.stopped) {
      const members = this.members();
      let written = false;
      for (const offset of [0, 1]) {
        const index = (preferred + offset) % members.length;
        if ((await this.profile.write(members[index]!.ip, `w${this.counter}`)).code === 0) {
          this.acknowledged.push(performance.now());
          this.counter += 1;
          preferred = index;
          written = true;
          break;
        }
      }
      if (!written) await sleep(5);
    }
  }

  /** Stops, and returns the longest gap (seconds) between acknowledged writes since `from`. */
  async stop(from: number): Promise<number> {
    this.stopped = true;
    await this.done;
    const times = this.acknowledged.filter((t, i) => t >= from || this.acknowledged[i + 1]! >= from);
    let longest = 0;
    for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i]! - times[i - 1]!);
    return longest / 1000;
  }
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}

async function view(api: ApiClient, id: string): Promise<any> {
  return (await api.call('GET', `/instances/${id}`)).body.instance;
}

async function create(api: ApiClient, body: object): Promise<Member> {
  const created = await api.call('POST', '/instances', { instance: body });
  if (created.status !== 200) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
  const active = await api.waitForStatus(created.body.instance.id, ['ACTIVE', 'ERROR'], 300_000);
  if (active.status !== 'ACTIVE') throw new Error(`instance failed: ${JSON.stringify(active.fault)}`);
  return { id: active.id, ip: active.ip[0] };
}

const streaming = async (api: ApiClient, id: string) => {
  const shown = await view(api, id);
  return shown.status === 'ACTIVE' && shown.replication?.role === 'replica' && shown.replication.streaming === true;
};

/**
 * Write outage of a planned switchover (promote) and of a failover from a source whose host is
 * gone (eject right away, and automatic failover), for one datastore, `runs` times each.
 */
export async function benchReplication(api: ApiClient, dataDir: string, profile: DatastoreProfile, runs: number, failoverAfterSeconds: number): Promise<Row[]> {
  const account = { ...profile.account };
  const source = await create(api, { name: `outage-${profile.type}`, flavorRef: '2', volume: { size: 1 }, datastore: { type: profile.type, version: profile.version }, ...account });
  await profile.setUp(source.ip);
  const replica = await create(api, { name: `outage-${profile.type}-replica`, flavorRef: '2', replica_of: source.id });
  await waitUntil(() => streaming(api, replica.id), 120_000, 'streaming');
  let set: [Member, Member] = [source, replica];
  const samples = { switchover: [] as number[], promoteTask: [] as number[], eject: [] as number[], auto: [] as number[] };

  /** Runs `act` under a steady stream of writes: the outage, and how long until the new source shows ACTIVE. */
  const measure = async (act: (newSource: Member, oldSource: Member) => Promise<void>): Promise<{ outage: number; settled: number }> => {
    const [oldSource, newSource] = set;
    const writer = new Writer(profile, () => set);
    writer.start();
    await sleep(1000);
    const from = performance.now();
    await act(newSource, oldSource);
    await waitUntil(
      async () => {
        const shown = await view(api, newSource.id);
        return shown.replica_of === undefined && shown.status === 'ACTIVE';
      },
      180_000,
      'the new source',
    );
    const settled = (performance.now() - from) / 1000;
    await sleep(1000);
    set = [newSource, oldSource];
    return { outage: await writer.stop(from), settled };
  };

  for (let i = 0; i < runs; i++) {
    const { outage, settled } = await measure(async (newSource) => {
      const promoted = await api.call('POST', `/instances/${newSource.id}/action`, { promote_to_replica_source: {} });
      if (promoted.status !== 202) throw new Error(`promote refused: ${JSON.stringify(promoted.body)}`);
    });
    samples.switchover.push(outage);
    samples.promoteTask.push(settled);
    await waitUntil(() => streaming(api, set[1].id), 120_000, 'the old source following');
  }

  for (const auto of [false, true]) {
    for (let i = 0; i < runs; i++) {
      let comeBack: () => void = () => undefined;
      if (auto) await api.call('PATCH', `/instances/${set[0].id}`, { instance: { auto_failover: true } });
      const { outage } = await measure(async (_newSource, oldSource) => {
        comeBack = loseHost(join(dataDir, 'instances', oldSource.id), profile.enginePidFile);
        if (auto) return;
        const ejected = await api.call('POST', `/instances/${oldSource.id}/action`, { eject_replica_source: {} });
        if (ejected.status !== 202) throw new Error(`eject refused: ${JSON.stringify(ejected.body)}`);
      });
      (auto ? samples.auto : samples.eject).push(outage);
      comeBack();
      await waitUntil(() => streaming(api, set[1].id), 180_000, 'the old source re-joining');
      if (auto) await api.call('PATCH', `/instances/${set[0].id}`, { instance: { auto_failover: false } });
    }
  }

  // The replica first: a source with replicas is not deleted.
  for (const member of [set[1], set[0]]) await api.call('DELETE', `/instances/${member.id}`);
  for (const member of set) await api.waitForStatus(member.id, ['GONE'], 120_000);
  const name = `${profile.type} ${profile.version}`;
  return [
    { name: `${name}: switchover (promote) write outage`, samples: samples.switchover },
    { name: `${name}: promote request → new source ACTIVE`, samples: samples.promoteTask },
    { name: `${name}: failover, eject at once`, samples: samples.eject },
    { name: `${name}: failover, automatic (after ${failoverAfterSeconds} s)`, samples: samples.auto },
  ];
}
