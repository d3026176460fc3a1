import type { Command } from 'commander';
import { client } from '../api-client.js';

/** Repeatable options (`--tag a=1 --tag b=2`) collect into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--server`, `--output`, `--parallel` and `--chunk-size` for a command that moves bytes. */
export function transferOptions(command: Command, defaults: { parallel: number; chunkMiB: number }): Command {
  return client(command)
    .option('--parallel <n>', 'transfers at the same time', String(defaults.parallel))
    .option('--chunk-size <MiB>', 'size of each chunk or range, in MiB', String(defaults.chunkMiB));
}
