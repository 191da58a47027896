import type { Command } from 'commander';
import { issueToken, revokeToken } from '../api.js';
import { ClientError, EXIT, usageError } from '../errors.js';
import { Output } from '../output.js';
import { readSession, removeSession, sessionPath, writeSession } from '../session-file.js';

/** Reads a line from the terminal without echoing it. */
async function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw usageError('no password: set OS_PASSWORD, or pipe it in with --password-stdin');
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = '';
      const onData = (chunk: string) => {
        for (const char of chunk) {
          if (char === '\r' || char === '\n') {
            stdin.off('data', onData);
            return resolve(typed);
          }
          if (char === '\u0003') {
            stdin.off('data', onData);
            return reject(new ClientError('cancelled', EXIT.usage));
          }
          typed = char === '\u007f' ? typed.slice(0, -1) : typed + char;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

interface LoginFlags {
  authUrl?: string;
  username?: string;
  project?: string;
  userDomain?: string;
  projectDomain?: string;
  passwordStdin?: boolean;
}

export function registerSessionCommands(program: Command): void {
  program
    .command('login')
    .description('log in once: keeps a token (never the password) in ~/.config/trove/session.json, mode 0600')
    .option('--auth-url <url>', 'identity endpoint (env OS_AUTH_URL, default http://127.0.0.1:8779/v3)')
    .option('--username <name>', 'user (env OS_USERNAME)')
    .option('--project <name>', 'project (env OS_PROJECT_NAME)')
    .option('--user-domain <name>', 'user domain (env OS_USER_DOMAIN_NAME, default Default)')
    .option('--project-domain <name>', 'project domain (env OS_PROJECT_DOMAIN_NAME, default Default)')
    .option('--password-stdin', 'read the password from standard input (else OS_PASSWORD, else a prompt)')
    .action(async (flags: LoginFlags, command: Command) => {
      const env = process.env;
      const username = flags.username ?? env.OS_USERNAME;
      const projectName = flags.project ?? env.OS_PROJECT_NAME;
      if (!username) throw usageError('give --username (or set OS_USERNAME)');
      if (!projectName && !env.OS_PROJECT_ID) throw usageError('give --project (or set OS_PROJECT_NAME)');
      const password = flags.passwordStdin ? await readStdin() : (env.OS_PASSWORD ?? (await promptHidden(`Password for ${username}: `)));
      if (!password) throw usageError('the password is empty');
      const authUrl = flags.authUrl ?? env.OS_AUTH_URL ?? 'http://127.0.0.1:8779/v3';
      const issued = await issueToken({
        authUrl,
        username,
        password,
        projectName,
        projectId: projectName ? undefined : env.OS_PROJECT_ID,
        userDomain: flags.userDomain ?? env.OS_USER_DOMAIN_NAME ?? 'Default',
        projectDomain: flags.projectDomain ?? env.OS_PROJECT_DOMAIN_NAME ?? 'Default',
      });
      writeSession({ auth_url: authUrl, username, project_name: issued.projectName, project_id: issued.projectId, endpoint: issued.endpoint, token: issued.token, expires_at: issued.expiresAt });
      Output.for(command).done(`Logged in to ${issued.endpoint} as ${username} (project ${issued.projectName}) until ${issued.expiresAt}; token kept in ${sessionPath()}.`, {
        endpoint: issued.endpoint,
        project_id: issued.projectId,
        expires_at: issued.expiresAt,
      });
    });

  program
    .command('logout')
    .description('revoke the stored token and forget it')
    .action(async (_flags, command: Command) => {
      const stored = readSession();
      if (!stored) return Output.for(command).done('Not logged in.');
      try {
        await revokeToken(stored.auth_url, stored.token);
      } finally {
        removeSession();
      }
      Output.for(command).done(`Logged out of ${stored.endpoint}.`);
    });
}
