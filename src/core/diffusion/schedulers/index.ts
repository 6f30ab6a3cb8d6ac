export * from './config';
export { DDIMScheduler } from './ddim';
export { EulerScheduler } from './euler';
export { DPMSolverPP2MScheduler } from './dpmpp-2m';
import type { Scheduler, SchedulerConfig } from './config';
import { DDIMScheduler } from './ddim';
import { EulerScheduler } from './euler';
import { DPMSolverPP2MScheduler } from './dpmpp-2m';

import { isSchedulerName, type SchedulerName } from '../../settings';

/** One factory per name of the registry in src/core/settings (a missing one does not compile). */
const FACTORIES: Record<SchedulerName, (config: SchedulerConfig, eta: number) => Scheduler> = {
  ddim: (config, eta) => new DDIMScheduler(config, eta),
  euler: (config) => new EulerScheduler(config),
  'dpmpp-2m': (config) => new DPMSolverPP2MScheduler(config),
};

/** The scheduler of that name; an unknown name throws (never a silent fallback). */
export function createScheduler(kind: SchedulerName, config: SchedulerConfig, eta = 0): Scheduler {
  if (!isSchedulerName(kind)) throw new Error(`unknown scheduler ${JSON.stringify(kind)}`);
  return FACTORIES[kind](config, eta);
}
