import { describeBackups } from '../test-support/backup-suite.js';
import { MYSQL } from '../test-support/datastore-profiles.js';

describeBackups(MYSQL, '127.0.57.0/24', true);
