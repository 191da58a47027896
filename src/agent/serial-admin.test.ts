import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sleep } from '../common/time.js';
import type { GuestAdmin } from './datastore.js';
import { AgentRequestError } from './errors.js';
import { serialised } from './serial-admin.js';

/** An admin whose createUsers checks, yields to the event loop (as a real engine round-trip does), then acts. */
function checkThenAct(): { admin: GuestAdmin; users: string[] } {
  const users: string[] = [];
  const later = () => sleep(5);
  const refuse = async () => {
    throw new Error('not in this test');
  };
  const admin: GuestAdmin = {
    databases: true,
    listDatabases: async () => [],
    createDatabases: refuse,
    deleteDatabase: refuse,
    listUsers: async () => users.map((name) => ({ name, host: '%', databases: [] })),
    async createUsers(_config, list) {
      const exists = list.some((u) => users.includes(u.name));
      await later();
      if (exists) throw new AgentRequestError(409, 'exists');
      // The engine's own refusal, which the check above should have made unreachable.
      if (list.some((u) => users.includes(u.name))) throw new Error('engine: duplicate account');
      users.push(...list.map((u) => u.name));
    },
    updateUser: refuse,
    deleteUser: refuse,
    grant: refuse,
    revoke: refuse,
    enableRoot: async () => ({ name: 'root', password: 'x' }),
    disableRoot: refuse,
  };
  return { admin, users };
}

describe('serialised admin operations', () => {
  const config = {} as Parameters<GuestAdmin['createUsers']>[0];
  const user = { name: 'u', password: 'p', databases: [] };

  it('gives concurrent creates of one user one success and one clear 409', async () => {
    const { admin, users } = checkThenAct();
    const results = await Promise.allSettled([1, 2, 3].map(() => serialised(admin).createUsers(config, [user])));
    // One wrapper per call would not serialise: the queue must belong to the admin, so use one.
    const one = serialised(admin);
    const again = await Promise.allSettled([1, 2].map(() => one.createUsers(config, [{ ...user, name: 'v' }])));
    assert.ok(
      results.some((r) => r.status === 'rejected' && !(r.reason instanceof AgentRequestError)),
      'separate wrappers interleave, as the engine alone would',
    );
    assert.deepEqual(
      again.map((r) => r.status),
      ['fulfilled', 'rejected'],
    );
    assert.ok(again[1]!.status === 'rejected' && again[1]!.reason instanceof AgentRequestError && again[1]!.reason.status === 409);
    assert.equal(users.filter((u) => u === 'v').length, 1);
  });

  it('goes on after a change fails, and lets reads through at once', async () => {
    const { admin } = checkThenAct();
    const one = serialised(admin);
    await assert.rejects(one.deleteUser(config, { name: 'u', host: '%' }));
    await one.createUsers(config, [user]);
    assert.deepEqual(
      (await one.listUsers(config)).map((u) => u.name),
      ['u'],
    );
  });
});

describe('serialised admin changes and a fence', () => {
  const config = {} as Parameters<GuestAdmin['createUsers']>[0];

  it("asks at each change's turn whether it may run, and settles once the changes under way have ended", async () => {
    const { admin, users } = checkThenAct();
    let fenced = false;
    const one = serialised(admin, () => {
      if (fenced) throw new AgentRequestError(422, 'fenced');
    });
    const underWay = one.createUsers(config, [{ name: 'before', password: 'p', databases: [] }]);
    const queued = one.createUsers(config, [{ name: 'queued', password: 'p', databases: [] }]);
    // The first change is at the engine (its round-trip takes 5 ms) when the fence comes: from now
    // on changes are refused, and the fence reads its position only once the queue has settled.
    await new Promise((r) => setImmediate(r));
    fenced = true;
    await one.settled();
    assert.deepEqual(users, ['before'], 'the change that had started ended before the queue settled');
    await underWay;
    await assert.rejects(queued, (err: unknown) => err instanceof AgentRequestError && err.status === 422);
    assert.deepEqual(users, ['before'], 'nothing was written after the fence');
  });
});
