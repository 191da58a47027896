import { REDIS } from '../test-support/datastore-profiles.js';
import { describeInstanceLifecycle } from '../test-support/instance-lifecycle-suite.js';

describeInstanceLifecycle(REDIS, '127.0.42.0/24');
