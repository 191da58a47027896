import { MYSQL } from '../test-support/datastore-profiles.js';
import { describeInstanceLifecycle } from '../test-support/instance-lifecycle-suite.js';

describeInstanceLifecycle(MYSQL, '127.0.40.0/24');
