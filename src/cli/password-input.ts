import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { readStdin } from './api-client.js';

/** Ask for a secret on the terminal without echoing it. */
async function prompt(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new Error('no terminal to ask for the password: use --password-stdin');
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  process.stderr.write(question);
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

/** A password from stdin (`--password-stdin`), ARCA_PASSWORD, or the terminal. */
export async function passwordFrom(
  opts: { passwordStdin?: boolean },
  question = 'Password: ',
): Promise<string> {
  if (opts.passwordStdin) return readStdin();
  if (process.env.ARCA_PASSWORD) return process.env.ARCA_PASSWORD;
  return prompt(question);
}
