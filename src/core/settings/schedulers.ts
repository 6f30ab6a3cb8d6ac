/**
 * The scheduler registry: every scheduler name is written here once. The factories live next to the
 * scheduler code (`src/core/diffusion/schedulers/index.ts`) and are keyed by `SchedulerName`, so a name
 * without an implementation does not compile.
 */
export const SCHEDULERS = {
  ddim: { label: 'DDIM', usesEta: true },
  euler: { label: 'Euler', usesEta: false },
  'dpmpp-2m': { label: 'DPM-Solver++ (2M)', usesEta: false },
} as const satisfies Record<string, { label: string; usesEta: boolean }>;

export type SchedulerName = keyof typeof SCHEDULERS;

export const SCHEDULER_NAMES = Object.keys(SCHEDULERS) as SchedulerName[];

export function isSchedulerName(v: unknown): v is SchedulerName {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(SCHEDULERS, v);
}
