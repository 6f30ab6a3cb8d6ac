import type { AdaptationReport, CropWindow, GenerateRequest } from '../diffusion/types';

/** The JSON record written next to every exported image. */
export interface ExportRecord {
  format: 'defect-studio-record@1';
  app: { name: 'DefectStudio'; version: string };
  createdAt: string;
  source: { name: string; width: number; height: number };
  prompt: string;
  negativePrompt: string;
  seed: number;
  settings: {
    steps: number;
    guidance: number;
    scheduler: string;
    eta: number;
    stages: { latentEditStart: number; pixelEditStart: number };
    latentDilation: number;
    contextMargin: number;
    adaptation: GenerateRequest['adaptation'];
  };
  model: { id: string; name: string; sha256: string };
  backend: string;
  crop: CropWindow;
  defectPixels: number;
  files: { image: string; mask: string; trimap?: string };
  timings?: Record<string, number>;
  adaptation?: AdaptationReport;
}

export interface RecordInput {
  appVersion: string;
  sourceName: string;
  width: number;
  height: number;
  request: Omit<GenerateRequest, 'image' | 'trimap'>;
  model: { id: string; name: string; sha256: string };
  backend: string;
  crop: CropWindow;
  mask: Uint8Array;
  files: ExportRecord['files'];
  timings?: Record<string, number>;
  adaptation?: AdaptationReport;
  createdAt?: Date;
}

export function buildRecord(input: RecordInput): ExportRecord {
  const r = input.request;
  let defectPixels = 0;
  for (let i = 0; i < input.mask.length; i++) if (input.mask[i] !== 0) defectPixels++;
  return {
    format: 'defect-studio-record@1',
    app: { name: 'DefectStudio', version: input.appVersion },
    createdAt: (input.createdAt ?? new Date()).toISOString(),
    source: { name: input.sourceName, width: input.width, height: input.height },
    prompt: r.prompt,
    negativePrompt: r.negativePrompt ?? '',
    seed: r.seed,
    settings: {
      steps: r.steps,
      guidance: r.guidance,
      scheduler: r.scheduler ?? 'ddim',
      eta: r.eta ?? 0,
      stages: { latentEditStart: r.stages.latentEditStart, pixelEditStart: r.stages.pixelEditStart },
      latentDilation: r.latentDilation,
      contextMargin: r.contextMargin,
      adaptation: { ...r.adaptation },
    },
    model: { ...input.model },
    backend: input.backend,
    crop: { ...input.crop },
    defectPixels,
    files: { ...input.files },
    ...(input.timings ? { timings: { ...input.timings } } : {}),
    ...(input.adaptation ? { adaptation: { ...input.adaptation } } : {}),
  };
}

export function recordToBytes(record: ExportRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(record, null, 2) + '\n');
}

/** File-name stem: letters, digits, dash and underscore only. */
export function safeStem(name: string, fallback = 'image'): string {
  const stem = name.replace(/\.[a-z0-9]+$/i, '').replace(/[^a-zA-Z0-9_-]+/g, '_').replace(/^_+|_+$/g, '');
  return stem || fallback;
}

/** Defect-type folder name derived from a prompt: "a hazelnut with a crack" -> "crack". */
export function defectNameFromPrompt(prompt: string): string {
  const m = /\bwith (?:an? |some |the )?(.+)$/i.exec(prompt.trim());
  const raw = (m ? m[1] : prompt).trim().toLowerCase();
  return safeStem(raw.replace(/\s+/g, '_'), 'defect').toLowerCase();
}
