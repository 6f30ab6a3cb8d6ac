/** The status line of a pack download or load, from the core's one progress event (PackProgress). */
import type { PackProgress } from '../worker/protocol';

/** A size as people read download sizes (decimal units, like the pack messages): "3.20 MB", "11.0 MB", "2.13 GB". */
export function mb(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  return `${(n / 1e6).toFixed(n < 10e6 ? 2 : 1)} MB`;
}

const VERB: Record<PackProgress['phase'], string> = {
  download: 'Downloading',
  check: 'Checking stored',
  read: 'Reading',
};

/** e.g. "Downloading unet/model.onnx 3.20 MB / 8.00 MB · total 5.10 MB / 11.0 MB (46%)". */
export function packProgressLine(p: PackProgress): string {
  const pct = p.totalBytes ? Math.floor((100 * p.loadedBytes) / p.totalBytes) : 0;
  return `${VERB[p.phase]} ${p.file} ${mb(p.fileLoadedBytes)} / ${mb(p.fileTotalBytes)} · total ${mb(p.loadedBytes)} / ${mb(p.totalBytes)} (${pct}%)`;
}
