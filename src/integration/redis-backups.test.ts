import { describeBackups } from '../test-support/backup-suite.js';
import { REDIS } from '../test-support/datastore-profiles.js';

describeBackups(REDIS, '127.0.52.0/24', false);
