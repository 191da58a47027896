import { describeBackups } from '../test-support/backup-suite.js';
import { POSTGRESQL } from '../test-support/datastore-profiles.js';

describeBackups(POSTGRESQL, '127.0.51.0/24', true);
