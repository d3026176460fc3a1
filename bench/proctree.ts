import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times. */
const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The fields of /proc/<pid>/stat after the command name (field 3, "state", is index 0). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // the process ended while we looked
  }
}

/** A process and all its descendants. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = Number(statFields(Number(entry))?.[1]);
    if (!ppid) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(entry));
    children.set(ppid, list);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

/** CPU seconds (utime + stime) used so far by these processes. */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const f = statFields(pid);
    if (f) ticks += Number(f[11]) + Number(f[12]); // fields 14 and 15: utime, stime
  }
  return ticks / clockTicks;
}

/** Resident memory (VmRSS) of these processes, summed, in bytes. */
export function rssBytes(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb * 1024;
}

export interface ResourceUse {
  /** Wall time of the measured section. */
  seconds: number;
  /** utime + stime of the server's process tree during the section. */
  cpuSeconds: number;
  /** Highest sum of VmRSS over the tree, sampled every 50 ms. */
  peakRssMiB: number;
  /** CPU seconds of the bench process itself (the Node client; wrk runs in its own process). */
  clientCpuSeconds: number;
  /** With S3 storage: CPU seconds of the S3 gateway's daemons during the section. */
  backendCpuSeconds?: number;
}

/**
 * Measures a server's process tree over one section: CPU time between start and stop, and RSS
 * sampled every 50 ms. The tree is re-read every second (neither server forks per request).
 */
export class ResourceMeter {
  private pids: number[];
  private peak: number;
  private samples = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly cpuStart: number;
  private readonly started = performance.now();
  private readonly clientStart = process.cpuUsage();

  private readonly backendStart: number;

  constructor(
    private readonly root: number,
    /** Other processes the server makes work (the S3 gateway), metered for CPU only. */
    private readonly backend: number[] = [],
  ) {
    this.pids = processTree(root);
    this.cpuStart = cpuSeconds(this.pids);
    this.backendStart = cpuSeconds(backend);
    this.peak = rssBytes(this.pids);
    this.timer = setInterval(() => this.sample(), 50);
  }

  private sample(): void {
    if (++this.samples % 20 === 0) this.pids = processTree(this.root);
    this.peak = Math.max(this.peak, rssBytes(this.pids));
  }

  stop(): ResourceUse {
    clearInterval(this.timer);
    this.pids = processTree(this.root);
    this.peak = Math.max(this.peak, rssBytes(this.pids));
    return {
      seconds: (performance.now() - this.started) / 1000,
      // A tree whose root is gone has taken its CPU time with it.
      cpuSeconds: existsSync(`/proc/${this.root}`) ? cpuSeconds(this.pids) - this.cpuStart : NaN,
      peakRssMiB: this.peak / 1048576,
      clientCpuSeconds: (({ user, system }) => (user + system) / 1e6)(process.cpuUsage(this.clientStart)),
      ...(this.backend.length > 0 ? { backendCpuSeconds: cpuSeconds(this.backend) - this.backendStart } : {}),
    };
  }
}
