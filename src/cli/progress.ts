/**
 * Batch progress: a one-line bar with rate and ETA on a terminal (stderr), or one JSON line per finished
 * job (stdout) for orchestrators and log collectors, or nothing.
 */
export type ProgressMode = 'bar' | 'json' | 'none';

export interface JobEvent {
  id: string | null;
  line: number;
  status: 'generated' | 'skipped' | 'failed';
  ms?: number;
  image?: string;
  error?: string;
}

export class Progress {
  private done = 0;
  private generated = 0;
  private skipped = 0;
  private failed = 0;
  private readonly t0 = performance.now();
  private lastDraw = 0;

  constructor(
    private readonly total: number,
    private readonly mode: ProgressMode,
    private readonly shard: string,
    private readonly out: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream & { columns?: number } } = process,
  ) {}

  /** Images generated per second so far (skipped jobs excluded), and the estimated seconds left. */
  rate(): { perSecond: number; etaSeconds: number | null } {
    const s = (performance.now() - this.t0) / 1000;
    const perSecond = s > 0 ? this.generated / s : 0;
    const left = this.total - this.done;
    return { perSecond, etaSeconds: perSecond > 0 ? left / perSecond : left === 0 ? 0 : null };
  }

  counts() {
    return { total: this.total, done: this.done, generated: this.generated, skipped: this.skipped, failed: this.failed };
  }

  job(e: JobEvent): void {
    this.done++;
    if (e.status === 'generated') this.generated++;
    else if (e.status === 'skipped') this.skipped++;
    else this.failed++;
    const { perSecond, etaSeconds } = this.rate();
    if (this.mode === 'json') {
      const rec = {
        event: 'job',
        shard: this.shard,
        ...e,
        ...(e.ms !== undefined ? { ms: Math.round(e.ms) } : {}),
        done: this.done,
        total: this.total,
        failed: this.failed,
        imagesPerSecond: Number(perSecond.toFixed(4)),
        etaSeconds: etaSeconds === null ? null : Math.round(etaSeconds),
      };
      this.out.stdout.write(JSON.stringify(rec) + '\n');
    } else if (this.mode === 'bar') {
      this.draw(false);
    }
  }

  /** Redraw the bar (at most 10 times a second unless final). */
  draw(final: boolean): void {
    if (this.mode !== 'bar') return;
    const now = performance.now();
    if (!final && now - this.lastDraw < 100 && this.done < this.total) return;
    this.lastDraw = now;
    const { perSecond, etaSeconds } = this.rate();
    const width = 28;
    const filled = this.total ? Math.round((width * this.done) / this.total) : width;
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const eta = etaSeconds === null ? '--' : fmtDuration(etaSeconds);
    const line = `[${bar}] ${this.done}/${this.total}  ${perSecond.toFixed(2)} img/s  ETA ${eta}` +
      (this.skipped ? `  skipped ${this.skipped}` : '') + (this.failed ? `  failed ${this.failed}` : '') +
      (this.shard !== '0/1' ? `  shard ${this.shard}` : '');
    const c = this.out.stderr.columns ?? 0;
    const cols = c >= 20 ? c : 120; // 0 when the terminal reports no size
    this.out.stderr.write(`\r${line.slice(0, cols - 1).padEnd(Math.min(cols - 1, line.length))}\x1b[K${final ? '\n' : ''}`);
  }
}

export function fmtDuration(s: number): string {
  s = Math.round(s);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
