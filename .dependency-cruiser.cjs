/**
 * The allowed imports between the top-level folders of src/, checked by `npm run layers`.
 *
 * LAYERS lists the folders from the bottom up: a folder may import the folders of the layers
 * below its own and nothing above or beside it. Test files (*.test.ts), src/test-support and
 * src/integration may import anything (they only must not close a cycle); src/bench may import
 * test-support. The control plane reaches the guest agent only through the agent's protocol and
 * RPC declarations, never its engine code.
 */

/** Bottom first. Folders on one line are peers: neither imports the other. */
const LAYERS = [
  ['common'], // errors, ids, logging, key files, secret sealing: imports nothing of the project
  ['settings', 'metrics'], // the settings schema and loading; the process's Prometheus metrics
  ['catalog', 'state', 'object-storage'], // datastore descriptors; SQL state and its records; object stores and the backup pipeline
  ['agent'], // the guest agent (its own process); reaches only common/ and object-storage/ (rule below)
  ['compute'], // where instances run (the local driver, its address pool)
  ['identity', 'quota', 'flavor'], // domain services over the state store
  ['control'], // the generic task manager, the runtime tasks see, the reconciler, the agent client
  ['configuration-groups'], // configuration groups and their task
  ['backup'], // backups: rules, restore planning, manifests, and their tasks
  ['instance'], // instances: the service, replication, guest data and logs, and their tasks
  ['cluster'], // clusters: sets of member instances built, grown and removed together, and their tasks
  ['app'], // wires the services together
  ['api'], // the HTTP edge
  ['cli'], // the executable: server, agent and client commands
];

/** Free of the layers: they may import anything, and nothing in production imports them. */
const TEST_ONLY = ['test-support', 'integration', 'bench'];
const TEST_FILE = '\\.test\\.ts$';

const folderRe = (folders) => `^src/(${folders.join('|')})/`;

const layerRules = LAYERS.flatMap((layer, level) =>
  layer.map((folder) => {
    const notAllowed = LAYERS.slice(level).flat().filter((other) => other !== folder);
    const allowed = LAYERS.slice(0, level).flat();
    return {
      name: `layer-${folder}`,
      comment: `src/${folder}/ may import only ${allowed.length ? allowed.map((f) => `src/${f}/`).join(', ') : 'itself (and node_modules)'}`,
      severity: 'error',
      from: { path: `^src/${folder}/`, pathNot: TEST_FILE },
      to: { path: folderRe(notAllowed) },
    };
  }),
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'No import cycle between files.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      comment: 'No import cycle between folders (a sub-folder and its parent count as two).',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'agent-stays-apart',
      comment: 'The guest agent runs on its own: it imports only src/common/ and src/object-storage/ from the project.',
      severity: 'error',
      from: { path: '^src/agent/', pathNot: TEST_FILE },
      to: { path: '^src/', pathNot: '^src/(agent|common|object-storage)/' },
    },
    {
      name: 'control-plane-speaks-protocol',
      comment:
        'Outside the agent, only its protocol and RPC declarations are imported (src/agent/rpc/**, src/agent/*protocol.ts); ' +
        'its engine code (src/agent/datastores/**) and the rest of it never.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/(agent|cli)/', TEST_FILE, folderRe(TEST_ONLY)] },
      to: { path: '^src/agent/', pathNot: ['^src/agent/rpc/', '^src/agent/[^/]*protocol\\.ts$'] },
    },
    {
      name: 'cli-starts-agent',
      comment: "The executable loads the agent's server (for `trove agent`) and its protocol, nothing else of it.",
      severity: 'error',
      from: { path: '^src/cli/', pathNot: TEST_FILE },
      to: { path: '^src/agent/', pathNot: ['^src/agent/rpc/', '^src/agent/[^/]*protocol\\.ts$', '^src/agent/server\\.ts$'] },
    },
    {
      name: 'production-imports-no-tests',
      comment: 'Production code imports no test file, test support, integration test or bench.',
      severity: 'error',
      from: { path: '^src/', pathNot: [TEST_FILE, folderRe(TEST_ONLY)] },
      to: { path: [TEST_FILE, folderRe(TEST_ONLY)] },
    },
    {
      name: 'bench-imports-no-tests',
      comment: 'The bench may use src/test-support/, not test files or integration tests.',
      severity: 'error',
      from: { path: '^src/bench/' },
      to: { path: [TEST_FILE, '^src/integration/'] },
    },
  ],
  options: {
    // Tests may import anything, so they are not cruised themselves; a production import of one still shows (and fails).
    doNotFollow: { path: ['node_modules', TEST_FILE, '^src/(test-support|integration)/'] },
    exclude: { path: ['node_modules', '^dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
