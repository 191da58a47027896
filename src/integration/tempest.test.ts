import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runTempest, tempestFailures, tempestHostOptions, tempestProblems, tempestTable } from '../test-support/tempest.js';
import { startTroveHost, type TroveHost } from '../test-support/trove-host.js';

/** Two workers: one test class each at a time (measured faster than --serial on two cores, and stable). */
const CONCURRENCY = 2;
const DATASTORES = ['mysql', 'mariadb', 'postgresql'];
const RUN_LIMIT_MS = 60 * 60_000;
/** Datastore upgrade needs a second version of each engine, which the host does not have: these skip. */
const UPGRADE_TESTS = ['TestInstanceActionsMariaDB.test_instance_upgrade', 'TestInstanceActionsMySQL.test_instance_upgrade', 'TestInstanceActionsPostgreSQL.test_instance_upgrade'];

/** OpenStack's own Trove scenario tests (trove-tempest-plugin) against a real `trove serve` and real engines. */
describe('tempest: trove-tempest-plugin scenario tests', () => {
  let host: TroveHost;

  before(async () => {
    host = await startTroveHost('127.0.80.0/24', tempestHostOptions(CONCURRENCY));
  });
  after(async () => {
    await host?.close();
  });

  it('pass for mysql, mariadb and postgresql, and only the datastore upgrade tests skip', { timeout: RUN_LIMIT_MS + 5 * 60_000 }, async () => {
    const result = await runTempest(host, {
      datastores: DATASTORES,
      concurrency: CONCURRENCY,
      timeoutMs: RUN_LIMIT_MS,
      onTest: (t) => console.log(`tempest: ${t.status.padEnd(7)} ${t.className}.${t.name} (${t.seconds.toFixed(1)} s)${t.reason ? `: ${t.reason.slice(0, 160)}` : ''}`),
    });
    const { settings } = result;
    console.log(
      `tempest ran in ${result.seconds} s with ${CONCURRENCY > 1 ? `${CONCURRENCY} workers` : '--serial'}${result.timedOut ? ', stopped at its time limit' : ''}; ` +
        `datastores ${settings.datastores.map((d) => `${d.name} ${d.version}`).join(', ')}, flavor ${settings.flavorId} → ${settings.resizeFlavorId}, ` +
        `rebuild image ${settings.rebuildImageId ?? '(none: the rebuild tests skip)'}`,
    );
    console.log(tempestTable(result.tests));
    const problems = tempestProblems(result.tests);
    if (problems.length > 0) console.log(`\ntempest failures:\n\n${tempestFailures(result.tests)}\n\ntempest's standard error (end):\n${result.stderr}`);

    const scenario = result.tests.filter((t) => t.name.startsWith('test_'));
    assert.equal(scenario.length, 25, `tempest listed ${scenario.length} scenario tests: ${scenario.map((t) => t.id).join(', ')}`);
    assert.equal(result.timedOut, false, `tempest was stopped after ${RUN_LIMIT_MS / 60_000} minutes`);
    assert.ok(problems.length === 0, `tempest failures (details above):\n${problems.join('\n')}`);
    const skipped = result.tests.filter((t) => t.status === 'skip');
    assert.deepEqual(skipped.map((t) => `${t.className}.${t.name}`).sort(), UPGRADE_TESTS, `skipped: ${skipped.map((t) => `${t.className}.${t.name} (${t.reason})`).join(', ')}`);
    for (const t of skipped) assert.match(t.reason, /upgrade is disabled/i);
  });
});
