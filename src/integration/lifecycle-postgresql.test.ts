import { POSTGRESQL } from '../test-support/datastore-profiles.js';
import { describeInstanceLifecycle } from '../test-support/instance-lifecycle-suite.js';

describeInstanceLifecycle(POSTGRESQL, '127.0.41.0/24');
