import { POSTGRESQL } from '../test-support/datastore-profiles.js';
import { describeReplication } from '../test-support/replication-suite.js';

describeReplication(POSTGRESQL, '127.0.37.0/24');
