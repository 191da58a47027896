import { run } from './processes.js';

/** psql over TCP to an instance's address; -w: fail rather than ask for a password. */
export function psql(host: string, user: string, password: string, database: string, sql: string) {
  return run('psql', ['-w', '-X', '-A', '-t', '-h', host, '-U', user, '-d', database, '-c', sql], { PATH: process.env.PATH, PGPASSWORD: password, PGCONNECT_TIMEOUT: '5' });
}
