/**
 * Run `work` with a signal that Ctrl-C (SIGINT) or SIGTERM aborts: what is in flight stops, the
 * resume state is already on disk, and the user is told how to continue (`howToResume`); exit 130.
 */
export async function interruptible<T>(howToResume: string, work: (signal: AbortSignal) => Promise<T>) {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await work(controller.signal);
  } catch (err) {
    if (!controller.signal.aborted) throw err;
    process.stderr.write(`\ninterrupted: ${howToResume}\n`);
    process.exit(130);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
