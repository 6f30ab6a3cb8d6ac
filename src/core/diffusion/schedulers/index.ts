export * from './config';
export { DDIMScheduler } from './ddim';
export { EulerScheduler } from './euler';
export { DPMSolverPP2MScheduler } from './dpmpp-2m';
import type { Scheduler, SchedulerConfig } from './config';
import { DDIMScheduler } from './ddim';
import { EulerScheduler } from './euler';
import { DPMSolverPP2MScheduler } from './dpmpp-2m';

export function createScheduler(kind: 'ddim' | 'euler' | 'dpmpp-2m', config: SchedulerConfig, eta = 0): Scheduler {
  if (kind === 'euler') return new EulerScheduler(config);
  if (kind === 'dpmpp-2m') return new DPMSolverPP2MScheduler(config);
  return new DDIMScheduler(config, eta);
}
