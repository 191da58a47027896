import { MYSQL } from '../test-support/datastore-profiles.js';
import { describeReplication } from '../test-support/replication-suite.js';

describeReplication(MYSQL, '127.0.36.0/24');
