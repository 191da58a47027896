import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { renderTable } from '../cli/client/text-table.js';
import type { RunResult } from './processes.js';
import { DEFAULT_TOML, type HostAccount, type TroveHost, type TroveHostOptions } from './trove-host.js';

/**
 * OpenStack's own Trove tests (Debian's `tempest` with `trove-tempest-plugin`) against a test
 * host: a workspace written from what the server's API shows, one bounded `tempest run`, and each
 * test's result read from its subunit stream. Nothing here starts a server or an engine.
 */

/** Tempest's Python, not whatever python3 comes first on PATH (the plugin's modules are Debian's). */
const SYSTEM_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
const PYTHON = '/usr/bin/python3';

/**
 * A net-id in the form of a UUID: the plugin then uses it as the shared network as it is and never
 * asks Neutron (which this host has not) to find or make one. The server does not check it.
 */
const SHARED_NETWORK = '11111111-2222-3333-4444-555555555555';

/** Reads a subunit v2 stream on stdin and prints one JSON line per finished test, as they finish. */
const SUBUNIT_TO_JSON = `
import json, sys
import subunit, testtools

def emit(test):
    start, stop = (test['timestamps'] + [None, None])[:2]
    details = {}
    if test['status'] != 'success':
        for name, content in test['details'].items():
            try:
                details[name] = content.as_text()
            except Exception as error:
                details[name] = '<unreadable: %s>' % error
    seconds = (stop - start).total_seconds() if start and stop else 0
    print(json.dumps({'id': test['id'], 'status': test['status'], 'seconds': seconds, 'details': details}), flush=True)

result = testtools.StreamToDict(emit)
result.startTestRun()
subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name='stdout').run(result)
result.stopTestRun()
`;

export type TempestStatus = 'success' | 'fail' | 'skip' | 'not-run';

export interface TempestTest {
  /** Tempest's id, e.g. trove_tempest_plugin.tests.scenario.test_backup.TestBackupMySQL.test_backup_full[id-…]. */
  id: string;
  /** The test class, e.g. TestBackupMySQL. */
  className: string;
  /** The test method, or the class fixture (setUpClass, tearDownClass) when that is what failed. */
  name: string;
  status: TempestStatus;
  seconds: number;
  /** The skip reason, or the failure's exception in one line. */
  reason: string;
  /** The failure's tracebacks as tempest reported them: the test's own first, then its cleanups'. */
  tracebacks: string[];
  /** The failed HTTP exchanges the test logged: status, method, URL, request body, response body. */
  failedRequests: string[];
}

export interface TempestRun {
  /** Every test tempest listed, in the order listed, then the class fixtures that failed. */
  tests: TempestTest[];
  seconds: number;
  /** tempest's exit status: 0 even when tests fail, since with --subunit the results are in the stream. */
  exitCode: number | null;
  timedOut: boolean;
  /** The end of tempest's standard error, for when it failed before running anything. */
  stderr: string;
  /** The settings tempest ran with, as read from the server. */
  settings: TempestSettings;
}

export interface TempestSettings {
  region: string;
  datastores: Array<{ name: string; version: string; image: string }>;
  flavorId: string;
  resizeFlavorId: string;
  /** Unset (so the rebuild tests skip) while the server shows no image for the datastores' versions. */
  rebuildImageId?: string;
}

export interface TempestOptions {
  /** The datastores whose tests run: mysql, mariadb, postgresql. */
  datastores: string[];
  /** 1 runs the tests one after another (--serial); more runs that many workers, one test class each. */
  concurrency: number;
  /** The whole run is stopped (and its unfinished tests reported) after this long. */
  timeoutMs: number;
  /** Which tests to run: a regular expression on the test ids. */
  regex?: string;
  /** How long tempest waits for an instance to build, or to be restored, and for a backup, in seconds. */
  waitSeconds?: number;
  /** Told each test's result as it finishes (for progress in a long run). */
  onTest?: (test: TempestTest) => void;
}

/** Every account tempest may lock per test class: as many admins and members as workers, members in separate projects. */
function tempestAccounts(concurrency: number): HostAccount[] {
  const accounts: HostAccount[] = [];
  // The host brings admin (project admin) and demo (project demo); two member accounts at least.
  for (let i = 2; i <= concurrency; i++) accounts.push({ name: `tempest-admin-${i}`, project: 'admin', password: `tempest-admin-${i}-secret`, role: 'admin' });
  for (let i = 2; i <= Math.max(concurrency, 2); i++) accounts.push({ name: `tempest-member-${i}`, project: `tempest-${i}`, password: `tempest-member-${i}-secret`, role: 'member' });
  return accounts;
}

/** What a host for tempest starts with: its accounts, and quotas no test class can run into while cleanups lag. */
export function tempestHostOptions(concurrency: number): TroveHostOptions {
  // The plugin makes every instance public and connects to its public address at the engine's
  // own port: a block of loopback addresses gives each public instance one of its own.
  return { toml: `${DEFAULT_TOML}\n[quotas]\ninstances = -1\nram = -1\nvolumes = -1\nbackups = -1\n`, accounts: tempestAccounts(concurrency), compute: 'public_address = "127.0.81.0/24"\n' };
}

async function getJson(url: string, token: string): Promise<any> {
  const response = await fetch(url, { headers: { 'x-auth-token': token } });
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Reads from the server, as its admin, what tempest's [identity] and [database] settings must say. */
async function readTempestSettings(host: TroveHost, datastores: string[]): Promise<TempestSettings> {
  const admin = host.accounts.find((a) => a.role === 'admin');
  if (!admin) throw new Error('the host has no admin account');
  const login = await fetch(`${host.server.url}/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: admin.name, domain: { name: 'Default' }, password: admin.password } } }, scope: { project: { name: admin.project, domain: { name: 'Default' } } } } }),
  });
  if (login.status !== 201) throw new Error(`login of ${admin.name}: ${login.status} ${await login.text()}`);
  const token = login.headers.get('x-subject-token')!;
  const body = (await login.json()) as { token: { project: { id: string }; catalog?: Array<{ type: string; endpoints: Array<{ interface: string; region?: string; region_id?: string; url: string }> }> } };
  const database = body.token.catalog?.find((service) => service.type === 'database')?.endpoints.find((e) => e.interface === 'public');
  if (!database) throw new Error(`the token's catalog has no public database endpoint: ${JSON.stringify(body.token.catalog)}`);
  const base = `${host.server.url}/v1.0/${body.token.project.id}`;

  const offered = (await getJson(`${base}/datastores`, token)).datastores as Array<{ name: string; default_version?: string; versions: Array<{ id: string; name: string }> }>;
  const chosen = [];
  for (const name of datastores) {
    const datastore = offered.find((d) => d.name === name);
    if (!datastore) throw new Error(`the server offers no datastore ${name} (it offers ${offered.map((d) => d.name).join(', ')})`);
    const version = datastore.versions.find((v) => v.id === datastore.default_version) ?? datastore.versions[0];
    if (!version) throw new Error(`datastore ${name} has no version`);
    // The admin view of a version shows its guest image: what a rebuild asks for.
    const shown = (await getJson(`${base}/datastores/${encodeURIComponent(name)}/versions/${encodeURIComponent(version.name)}`, token)).version as { image?: string };
    chosen.push({ name, version: version.name, image: shown.image ?? '' });
  }
  const images = [...new Set(chosen.map((d) => d.image))];
  if (images.length > 1) throw new Error(`tempest takes one rebuild_image_id for every datastore, but the server shows ${chosen.map((d) => `${d.name} ${d.version}: '${d.image}'`).join(', ')}`);

  // The flavor the plugin's gate uses (1 GB of RAM, enough for each datastore), and the next larger one to resize to.
  const flavors = ((await getJson(`${base}/flavors`, token)).flavors as Array<{ id: number | string; str_id?: string; ram: number }>).sort((a, b) => a.ram - b.ram);
  const minRam = Math.max(1024, ...offered.filter((d) => datastores.includes(d.name)).map((d) => (d as { min_ram?: number }).min_ram ?? 0));
  const flavor = flavors.find((f) => f.ram >= minRam);
  const resize = flavor && flavors.find((f) => f.ram > flavor.ram);
  if (!flavor || !resize) throw new Error(`no flavor of at least ${minRam} MB with a larger one to resize to: ${JSON.stringify(flavors)}`);

  return {
    region: database.region_id ?? database.region ?? 'RegionOne',
    datastores: chosen,
    flavorId: String(flavor.str_id ?? flavor.id),
    resizeFlavorId: String(resize.str_id ?? resize.id),
    ...(images[0] ? { rebuildImageId: images[0] } : {}),
  };
}

function tempestConf(workspace: string, url: string, settings: TempestSettings, waitSeconds: number): string {
  return `[DEFAULT]
debug = true
log_dir = ${workspace}
log_file = tempest.log
use_stderr = false

[oslo_concurrency]
lock_path = ${join(workspace, 'lock')}

[auth]
use_dynamic_credentials = false
test_accounts_file = ${join(workspace, 'etc', 'accounts.yaml')}
default_credentials_domain_name = Default
create_isolated_networks = false

[identity]
uri_v3 = ${url}/v3
auth_version = v3
region = ${settings.region}

[identity-feature-enabled]
api_v2 = false

[service_available]
trove = true
nova = false
neutron = false
swift = false
cinder = false
glance = false

[database]
enabled_datastores = ${settings.datastores.map((d) => d.name).join(',')}
default_datastore_versions = ${settings.datastores.map((d) => `${d.name}:${d.version}`).join(',')}
flavor_id = ${settings.flavorId}
resize_flavor_id = ${settings.resizeFlavorId}
shared_network = ${SHARED_NETWORK}
remove_swift_account = false
database_build_timeout = ${waitSeconds}
database_restore_timeout = ${waitSeconds}
backup_wait_timeout = ${waitSeconds}
${settings.rebuildImageId ? `rebuild_image_id = ${settings.rebuildImageId}\n` : ''}`;
}

/** Pre-provisioned accounts: tempest locks one admin and one member per test class. */
function accountsYaml(accounts: HostAccount[]): string {
  const quote = (value: string) => JSON.stringify(value);
  return accounts
    .filter((a) => a.role !== 'reader')
    .map((a) => `- username: ${quote(a.name)}\n  project_name: ${quote(a.project)}\n  password: ${quote(a.password)}\n  domain_name: Default\n${a.role === 'admin' ? '  roles: [admin]\n' : ''}`)
    .join('');
}

/** trove_tempest_plugin.tests.scenario.test_x.TestY.test_z[id-…] or "setUpClass (….TestY)" → class and name. */
function splitId(id: string): { className: string; name: string } {
  const fixture = /^(\w+) \((?:[\w.]+\.)?(\w+)\)$/.exec(id);
  if (fixture) return { className: fixture[2]!, name: fixture[1]! };
  const parts = id.replace(/\[.*\]$/, '').split('.');
  return { className: parts.at(-2) ?? '', name: parts.at(-1) ?? id };
}

/** The exception at the end of a Python traceback, on one line. */
export function exceptionOf(traceback: string): string {
  const lines = traceback.trimEnd().split('\n');
  let last = -1;
  lines.forEach((line, i) => {
    if (/^\s+File "/.test(line)) last = i;
  });
  let start = last + 1;
  while (start < lines.length && /^\s/.test(lines[start]!)) start++;
  return lines
    .slice(start)
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

/** Log records: each starts with a timestamp; the lines after it (bodies) belong to it. */
function logRecords(log: string): string[] {
  const records: string[] = [];
  for (const line of log.split('\n')) {
    if (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(line) || records.length === 0) records.push(line);
    else records[records.length - 1] += `\n${line}`;
  }
  return records;
}

/**
 * The HTTP exchanges in a tempest log that failed (4xx/5xx; a 404 on GET is how the plugin sees
 * a deletion finish, so those are left out), with the request and response bodies tempest logged,
 * and the instance faults the plugin logged when an instance went to ERROR.
 */
export function failedExchanges(log: string, className?: string): string[] {
  const records = logRecords(log);
  const found: string[] = [];
  // In the workspace's log the workers' records interleave: a record belongs to the class whose
  // request its process (the number after the time) logged last.
  const classOf = new Map<string, string>();
  records.forEach((record, i) => {
    const pid = /^\S+ \S+ (\d+) /.exec(record)?.[1] ?? '';
    const request = /Request \((\w+):(\w+)\): (\d{3}) (\w+) (\S+)/.exec(record);
    if (request) classOf.set(pid, request[1]!);
    if (className && classOf.get(pid) !== className) return;
    const fault = /Instance fault msg: (.*)/.exec(record);
    if (fault) found.push(`instance fault: ${fault[1]}`);
    if (!request) return;
    const status = Number(request[3]);
    if (status < 400 || (status === 404 && request[4] === 'GET')) return;
    // The DEBUG record after it holds the bodies: "Body: <request>" then, after the response headers, "Body: <response>".
    const next = records.slice(i + 1, i + 4).find((r) => r.includes('Request - Headers')) ?? '';
    // (oslo.log ends a DEBUG record in the workspace's log with the function, file and line that logged it.)
    const bodies = [...next.matchAll(/^\s*Body: (.*)$/gm)].map((m) => m[1]!.replace(/ \w+ \/\S+\.py:\d+$/, ''));
    const url = request[5]!.replace(/^https?:\/\/[^/]+/, '');
    found.push(`${request[2]}: ${status} ${request[4]} ${url}\n    request:  ${bodies[0] ?? '?'}\n    response: ${bodies[1] ?? '?'}`);
  });
  return found;
}

function toTest(raw: { id: string; status: string; seconds: number; details: Record<string, string> }, workspaceLog: () => string): TempestTest {
  const { className, name } = splitId(raw.id);
  const status: TempestStatus = raw.status === 'success' || raw.status === 'xfail' ? 'success' : raw.status === 'skip' ? 'skip' : 'fail';
  const tracebacks = Object.entries(raw.details)
    .filter(([key]) => key.startsWith('traceback'))
    .map(([, text]) => text.trimEnd());
  let reason = '';
  if (status === 'skip') reason = (raw.details.reason ?? '').trim();
  else if (status === 'fail') reason = raw.status === 'inprogress' ? 'still running when the run was stopped' : tracebacks.map(exceptionOf).join(' | ') || raw.status;
  // A test's own log travels with it; a class fixture's is only in the workspace's log.
  const log = Object.entries(raw.details).find(([key]) => key.startsWith('pythonlogging'))?.[1];
  const failedRequests = status === 'fail' ? (log !== undefined ? failedExchanges(log) : failedExchanges(workspaceLog(), className)) : [];
  // An instance in ERROR sends the plugin to fetch its guest log from Swift, which fails too and
  // hides the first failure: the instance's fault is the reason then.
  const fault = failedRequests.find((r) => r.startsWith('instance fault: '));
  if (fault) reason = `instance went to ERROR: ${/'message': (['"])(.*?)\1, '/.exec(fault)?.[2] ?? fault.slice('instance fault: '.length)} | ${reason}`;
  return { id: raw.id, className, name, status, seconds: Math.round(raw.seconds * 10) / 10, reason, tracebacks, failedRequests };
}

/** A short command run in the workspace (tempest and stestr keep their files where they run). */
function inWorkspace(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** A class's setUpClass first, its tests by name, its tearDownClass last. */
function byClassThenTest(a: TempestTest, b: TempestTest): number {
  const rank = (t: TempestTest) => (t.name === 'setUpClass' ? 0 : t.name === 'tearDownClass' ? 2 : 1);
  return a.className.localeCompare(b.className) || rank(a) - rank(b) || a.name.localeCompare(b.name);
}

/** What failed, in one line each: a class fixture's failure once (with the tests it kept from running), each failed test. */
export function tempestProblems(tests: TempestTest[]): string[] {
  return tests
    .filter((t) => t.status === 'fail')
    .map((t) => {
      const notRun = t.name === 'setUpClass' ? tests.filter((o) => o.className === t.className && o.status === 'not-run').length : 0;
      return `${t.className}.${t.name}${notRun ? ` (${notRun} tests not run)` : ''}: ${cut(t.reason, 240)}`;
    })
    .concat(tests.filter((t) => t.status === 'not-run' && !tests.some((f) => f.className === t.className && f.name === 'setUpClass')).map((t) => `${t.className}.${t.name}: ${t.reason}`));
}

/** Runs a command in its own process group, so a timeout stops tempest and every worker it started. */
function tempestProcess(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  return spawn('tempest', args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Writes a tempest workspace for the host in a temporary folder, runs the plugin's tests in it
 * (bounded by options.timeoutMs), returns each test's result, and removes the workspace.
 */
export async function runTempest(host: TroveHost, options: TempestOptions): Promise<TempestRun> {
  const regex = options.regex ?? 'trove_tempest_plugin';
  const admins = host.accounts.filter((a) => a.role === 'admin').length;
  const members = host.accounts.filter((a) => a.role === 'member').length;
  if (admins < options.concurrency || members < Math.max(options.concurrency, 2)) {
    throw new Error(`${options.concurrency} tempest workers need as many admin accounts and at least as many (and 2) member accounts; the host has ${admins} and ${members} (start it with tempestHostOptions(${options.concurrency}))`);
  }
  const settings = await readTempestSettings(host, options.datastores);
  const workspace = mkdtempSync(join(tmpdir(), 'trove-tempest-'));
  try {
    mkdirSync(join(workspace, 'etc'));
    mkdirSync(join(workspace, 'lock'));
    const conf = join(workspace, 'etc', 'tempest.conf');
    writeFileSync(conf, tempestConf(workspace, host.server.url, settings, options.waitSeconds ?? 300));
    writeFileSync(join(workspace, 'etc', 'accounts.yaml'), accountsYaml(host.accounts), { mode: 0o600 });
    const env = { PATH: SYSTEM_PATH, HOME: workspace, LANG: 'C.UTF-8', PYTHON: PYTHON };

    // The test repository tempest's runner (stestr) records into, as `tempest init` would make it.
    const init = await inWorkspace('stestr', ['init'], workspace, env, 60_000);
    if (init.code !== 0) throw new Error(`stestr init: ${init.stdout}${init.stderr}`);
    const listed = await inWorkspace('tempest', ['run', '--config-file', conf, '--regex', regex, '--list-tests'], workspace, env, 120_000);
    const expected = listed.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => /^[\w.]+\.test_\w+(\[.*\])?$/.test(l));
    if (listed.code !== 0 || expected.length === 0) throw new Error(`tempest --list-tests (exit ${listed.code}) found no tests for ${regex}:\n${listed.stdout.slice(-2000)}\n${listed.stderr.slice(-4000)}`);

    const started = Date.now();
    const workers = options.concurrency > 1 ? ['--concurrency', String(options.concurrency)] : ['--serial'];
    const tempest = tempestProcess(['run', '--config-file', conf, '--regex', regex, '--subunit', ...workers], workspace, env);
    const parser = spawn(PYTHON, ['-c', SUBUNIT_TO_JSON], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const parserClosed = new Promise((resolve) => parser.once('close', resolve));
    const tempestClosed = new Promise<number | null>((resolve) => tempest.once('close', (code) => resolve(code)));
    parser.stdin.on('error', () => undefined); // a parser gone early shows as missing results, not a crash
    tempest.stdout.pipe(parser.stdin);
    let stderr = '';
    const keep = (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000));
    tempest.stderr.on('data', keep);
    parser.stderr.on('data', keep);

    const workspaceLog = () => (existsSync(join(workspace, 'tempest.log')) ? readFileSync(join(workspace, 'tempest.log'), 'utf8') : '');
    const reported: TempestTest[] = [];
    const lines = createInterface({ input: parser.stdout });
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      const raw = JSON.parse(line);
      // "exists" is a test enumerated but never started: its class's setUpClass failed or the run stopped.
      if (raw.status === 'exists') return;
      const test = toTest(raw, workspaceLog);
      reported.push(test);
      options.onTest?.(test);
    });

    const stopGroup = (signal: NodeJS.Signals) => {
      try {
        process.kill(-tempest.pid!, signal);
      } catch {
        // already gone
      }
    };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stopGroup('SIGTERM');
      setTimeout(() => stopGroup('SIGKILL'), 10_000).unref();
    }, options.timeoutMs);
    // A test process that ends in the middle (its own timeout, Ctrl-C) takes tempest's workers with it.
    const onExit = () => stopGroup('SIGKILL');
    process.once('exit', onExit);
    const exitCode = await tempestClosed;
    clearTimeout(timer);
    process.off('exit', onExit);
    await parserClosed;
    lines.close();

    // Tests never reported did not run: their class's setUpClass failed (or was skipped), or the run was stopped.
    const byId = new Map(reported.map((t) => [t.id, t]));
    const tests: TempestTest[] = expected.map((id) => {
      const found = byId.get(id);
      if (found) return found;
      const { className, name } = splitId(id);
      const fixture = reported.find((t) => t.className === className && t.name === 'setUpClass');
      if (fixture?.status === 'skip') return { id, className, name, status: 'skip', seconds: 0, reason: fixture.reason, tracebacks: [], failedRequests: [] };
      const reason = fixture ? 'not run: its setUpClass failed' : timedOut ? 'not run: the run was stopped at its time limit' : 'not run: tempest did not report it';
      return { id, className, name, status: 'not-run', seconds: 0, reason, tracebacks: [], failedRequests: [] };
    });
    const extra = reported.filter((t) => !expected.includes(t.id) && t.status !== 'skip');
    return { tests: [...tests, ...extra].sort(byClassThenTest), seconds: Math.round((Date.now() - started) / 1000), exitCode, timedOut, stderr: stderr.slice(-4000), settings };
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

/** The results as a table: class, test, result, seconds, and the skip or failure reason in short. */
export function tempestTable(tests: TempestTest[], width = 140): string {
  return renderTable(
    ['Class', 'Test', 'Result', 'Seconds', 'Reason'],
    tests.map((t) => [t.className, t.name, t.status, t.seconds.toFixed(1), cut(t.reason, width)]),
  );
}

/** A line cut to `width` characters. */
function cut(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}

/**
 * For each failed test: the end of each of its tracebacks (without the ^^^ markers, long lines
 * cut) and the HTTP exchanges that failed, a repeated one (the plugin retries) once with a count.
 */
export function tempestFailures(tests: TempestTest[], tracebackLines = 24, lineWidth = 400): string {
  return tests
    .filter((t) => t.status === 'fail')
    .map((t) => {
      const tails = t.tracebacks.map((traceback) =>
        traceback
          .split('\n')
          .filter((line) => !/^\s*[\^~]+\s*$/.test(line))
          .slice(-tracebackLines)
          .map((line) => cut(line, lineWidth))
          .join('\n'),
      );
      const counted = new Map<string, number>();
      for (const exchange of t.failedRequests) counted.set(exchange, (counted.get(exchange) ?? 0) + 1);
      const requests = [...counted].map(([exchange, n]) => `  ${cut(exchange, 3 * lineWidth)}${n > 1 ? `\n    (${n} times)` : ''}`);
      return `=== ${t.className}.${t.name}: ${cut(t.reason, lineWidth)}\n${tails.join('\n--- during cleanup:\n')}${requests.length ? `\n  failed requests:\n${requests.join('\n')}` : ''}`;
    })
    .join('\n\n');
}
