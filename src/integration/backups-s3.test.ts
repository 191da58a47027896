import { after, before } from 'node:test';
import { describeBackups } from '../test-support/backup-suite.js';
import { MYSQL, POSTGRESQL, REDIS } from '../test-support/datastore-profiles.js';
import { startSwiftS3, type S3Server } from '../test-support/swift-s3.js';

/** The same backups and restores with the S3 driver, against a real S3 server (Swift's s3api). */
let server: S3Server | undefined;
const s3 = { name: 'S3', toml: () => server!.toml(), secret: () => server!.secretKey };
before(async () => {
  server = await startSwiftS3();
});
after(async () => {
  await server?.stop();
});

describeBackups(MYSQL, '127.0.54.0/24', true, s3);
describeBackups(POSTGRESQL, '127.0.55.0/24', true, s3);
describeBackups(REDIS, '127.0.56.0/24', false, s3);
