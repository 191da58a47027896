import { REDIS } from '../test-support/datastore-profiles.js';
import { describeReplication } from '../test-support/replication-suite.js';

describeReplication(REDIS, '127.0.38.0/24', { autoFailover: true });
