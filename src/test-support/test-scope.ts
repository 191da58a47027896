/**
 * A few test files run one contract twice: on what needs nothing installed (SQLite, a folder) and on a
 * real server that `scripts/install.sh --with-test-tools` provides (PostgreSQL, Swift's S3). The unit
 * run (`npm run test:unit`, TROVE_TESTS=unit) takes only the first; the integration run
 * (TROVE_TESTS=integration) takes only the second, from the same files. Unset, a file runs both.
 */
const scope = process.env.TROVE_TESTS;

/** Whether this run takes the half that needs no root, no engine and no test server. */
export const unitTests = scope !== 'integration';
/** Whether this run takes the half that starts a real server. */
export const integrationTests = scope !== 'unit';
