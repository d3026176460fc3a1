import { Command } from 'commander';
import { apiCall, client, enc, listResources, show, type ClientOptions } from './api-client.js';

/** `arca job list|show|retry`: the background work of the server (deliveries, copies, collection). */
export function jobCommand(): Command {
  const job = new Command('job').description('background jobs: list, show, retry');

  client(job.command('list').description('list jobs, newest first'))
    .option('--state <state>', 'queued, running, done or failed')
    .option('--kind <kind>', 'e.g. notification.deliver')
    .option('--limit <n>', 'at most this many (1 to 1000)', '100')
    .action(async (opts: ClientOptions & { state?: string; kind?: string; limit: string }) => {
      const query = new URLSearchParams({ n: opts.limit });
      if (opts.state) query.set('state', opts.state);
      if (opts.kind) query.set('kind', opts.kind);
      await listResources(
        opts,
        `/api/v1/jobs?${query.toString()}`,
        ['ID', 'KIND', 'STATE', 'ATTEMPTS', 'RUN AT', 'LAST ERROR'],
        (j) => [
          j.id,
          j.kind,
          j.state,
          `${String(j.attempts)}/${String(j.max_attempts)}`,
          j.run_at,
          j.last_error,
        ],
      );
    });

  client(job.command('show').description('show one job').argument('<id>')).action(
    async (id: string, opts: ClientOptions) =>
      show(opts, await apiCall(opts, 'GET', `/api/v1/jobs/${enc(id)}`)),
  );

  client(job.command('retry').description('run a failed (or done) job again').argument('<id>')).action(
    async (id: string, opts: ClientOptions) =>
      show(opts, await apiCall(opts, 'POST', `/api/v1/jobs/${enc(id)}/retry`)),
  );
  return job;
}
