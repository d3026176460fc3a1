import { readFileSync, readdirSync } from 'node:fs';

const clockTicks = 100;

/** A process and all its descendants (from /proc). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // the process ended while we looked
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

/** CPU seconds (user + system) used so far by a process tree. */
export function cpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks / clockTicks;
}

/** Resident memory of a process tree, in bytes. */
export function rssBytes(root: number): number {
  let kb = 0;
  for (const pid of processTree(root)) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kb += Number(m?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb * 1024;
}

/** Samples a process tree's RSS every 50 ms and tracks CPU time between start and stop. */
export class PhaseMeter {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly cpuStart: number;

  constructor(private readonly pid: number) {
    this.cpuStart = cpuSeconds(pid);
    this.peak = rssBytes(pid);
    this.timer = setInterval(() => (this.peak = Math.max(this.peak, rssBytes(pid))), 50);
  }

  stop(): { cpuSeconds: number; peakRssMB: number } {
    clearInterval(this.timer);
    this.peak = Math.max(this.peak, rssBytes(this.pid));
    return { cpuSeconds: cpuSeconds(this.pid) - this.cpuStart, peakRssMB: this.peak / 1048576 };
  }
}
