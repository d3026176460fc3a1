import { SingleBar } from 'cli-progress';

/** How a transfer reports: a bar on a terminal, plain lines otherwise, nothing until the end in JSON. */
export type ProgressMode = 'bar' | 'lines' | 'quiet';

export function progressMode(output: string): ProgressMode {
  if (output === 'json') return 'quiet';
  return process.stderr.isTTY && process.stdout.isTTY ? 'bar' : 'lines';
}

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/**
 * Bytes moved against a total, with speed and time left: a `cli-progress` bar on stderr when both
 * streams are a terminal, a line every few seconds and one per file on stdout otherwise, and
 * nothing with `quiet` (`--output json` prints one document at the end instead).
 */
export class TransferProgress {
  private total = 0;
  private done = 0;
  private readonly started = Date.now();
  private bar?: SingleBar;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly mode: ProgressMode,
    private readonly verb: string,
  ) {}

  start(total: number, files: number): void {
    this.total = total;
    if (this.mode === 'bar') {
      this.bar = new SingleBar({
        format: `${this.verb} [{bar}] {percentage}% | {moved}/{size} | {speed} | ETA {left}`,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
      });
      this.bar.start(Math.max(total, 1), 0, this.fields());
    } else if (this.mode === 'lines') {
      process.stdout.write(`${this.verb} ${files} files, ${human(total)}\n`);
      this.timer = setInterval(() => this.line(), 5000);
      this.timer.unref();
    }
  }

  add(n: number): void {
    this.done += n;
    this.bar?.update(Math.max(this.done, 0), this.fields());
  }

  /** A file is finished (`how`: sent, already there, verified…). */
  file(path: string, how: string): void {
    if (this.mode === 'lines') process.stdout.write(`  ${path}: ${how}\n`);
  }

  /** A line for the user that does not break the bar. */
  note(text: string): void {
    if (this.mode === 'quiet') return;
    if (this.bar) this.bar.stop();
    process.stderr.write(`${text}\n`);
    if (this.bar) this.bar.start(Math.max(this.total, 1), Math.max(this.done, 0), this.fields());
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.bar) {
      this.bar.update(Math.max(this.done, 0), this.fields());
      this.bar.stop();
    } else if (this.mode === 'lines') this.line();
  }

  private rate(): number {
    return this.done / Math.max((Date.now() - this.started) / 1000, 0.001);
  }

  private fields() {
    const rate = this.rate();
    return {
      moved: human(Math.max(this.done, 0)),
      size: human(this.total),
      speed: `${human(rate)}/s`,
      left: duration((this.total - this.done) / rate),
    };
  }

  private line(): void {
    const f = this.fields();
    const pct = this.total ? Math.floor((100 * this.done) / this.total) : 100;
    process.stdout.write(`${this.verb} ${f.moved}/${f.size} (${pct}%) ${f.speed}, ${f.left} left\n`);
  }
}
