/**
 * Batch job files: one JSON object a line (JSON Lines). Parsing is pure; reading the images is the caller's.
 *
 * A job line: `id`, `image`, `trimap` (or `mask` + optional `objectMask`), `prompt`, optional `category`,
 * `defect`, and the generation settings under the same names as `defect-studio generate` (validated by the
 * caller's settings validator, the same code the command line uses). Paths are relative to the job file.
 * Blank lines and lines starting with `#` are ignored.
 */

/** The settings a job line may carry, as written (validated later by the shared settings code). */
export type RawSettings = Record<string, unknown>;

export interface JobSpec {
  /** 1-based line number in the job file. */
  line: number;
  id: string;
  image: string;
  trimap?: string;
  mask?: string;
  objectMask?: string;
  prompt: string;
  category?: string;
  defect?: string;
  /** Every other key of the line: generation settings (seed, steps, guidance, scheduler, ...). */
  settings: RawSettings;
}

export interface JobLineError {
  line: number;
  /** The line's id when it had a usable one, else null. */
  id: string | null;
  error: string;
}

export type JobEntry = { ok: true; job: JobSpec } | { ok: false; failure: JobLineError };

const JOB_KEYS = new Set(['id', 'image', 'trimap', 'mask', 'objectMask', 'prompt', 'category', 'defect']);

/** A job id: 1..200 characters, no control characters (ids name nothing on disk; names come from the layout). */
export function checkJobId(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) v = String(v);
  if (typeof v !== 'string' || !v.length || v.length > 200 || /[\u0000-\u001f\u007f]/.test(v)) return null;
  return v;
}

/**
 * Parse a job file's text. Every non-blank line becomes one entry, in file order: a job, or a failure with
 * its line number and id (unparseable JSON, not an object, missing or wrong field, a duplicate id).
 * `settingsKeys` are the setting names the shared settings code accepts; any other key is an error.
 */
export function parseJobFile(text: string, settingsKeys: ReadonlySet<string>): JobEntry[] {
  const entries: JobEntry[] = [];
  const seen = new Map<string, number>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const src = lines[i].replace(/\r$/, '').trim();
    if (!src || src.startsWith('#')) continue;
    const fail = (id: string | null, error: string) => entries.push({ ok: false, failure: { line, id, error } });
    let obj: unknown;
    try {
      obj = JSON.parse(src);
    } catch (e) {
      fail(null, `not valid JSON (${(e as Error).message})`);
      continue;
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      fail(null, 'not a JSON object');
      continue;
    }
    const o = obj as Record<string, unknown>;
    const id = checkJobId(o.id);
    if (id === null) {
      fail(null, o.id === undefined ? 'missing "id"' : '"id" must be a non-empty string (at most 200 characters)');
      continue;
    }
    const prev = seen.get(id);
    if (prev !== undefined) {
      fail(id, `duplicate id "${id}" (first on line ${prev})`);
      continue;
    }
    seen.set(id, line);
    const str = (k: string, required: boolean): string | undefined | Error => {
      const v = o[k];
      if (v === undefined || v === null) return required ? new Error(`missing "${k}"`) : undefined;
      if (typeof v !== 'string' || !v.trim()) return new Error(`"${k}" must be a non-empty string`);
      return v;
    };
    const fields: Record<string, string | undefined> = {};
    let bad: string | null = null;
    for (const [k, req] of [['image', true], ['prompt', true], ['trimap', false], ['mask', false], ['objectMask', false], ['category', false], ['defect', false]] as const) {
      const v = str(k, req);
      if (v instanceof Error) {
        bad = v.message;
        break;
      }
      fields[k] = v;
    }
    if (!bad) {
      if (fields.trimap && fields.mask) bad = 'give either "trimap" or "mask" (+ "objectMask"), not both';
      else if (!fields.trimap && !fields.mask) bad = fields.objectMask ? '"objectMask" needs a "mask"' : 'missing "trimap" (or "mask")';
      else if (fields.trimap && fields.objectMask) bad = '"objectMask" goes with "mask", not with "trimap"';
    }
    const settings: RawSettings = {};
    if (!bad) {
      for (const k of Object.keys(o)) {
        if (JOB_KEYS.has(k)) continue;
        if (!settingsKeys.has(k)) {
          bad = `unknown field "${k}" (job fields: ${[...JOB_KEYS].join(', ')}; settings: ${[...settingsKeys].join(', ')})`;
          break;
        }
        settings[k] = o[k];
      }
    }
    if (bad) {
      fail(id, bad);
      continue;
    }
    entries.push({
      ok: true,
      job: {
        line,
        id,
        image: fields.image!,
        prompt: fields.prompt!,
        ...(fields.trimap ? { trimap: fields.trimap } : {}),
        ...(fields.mask ? { mask: fields.mask } : {}),
        ...(fields.objectMask ? { objectMask: fields.objectMask } : {}),
        ...(fields.category ? { category: fields.category } : {}),
        ...(fields.defect ? { defect: fields.defect } : {}),
        settings,
      },
    });
  }
  return entries;
}

/** Keys sorted recursively: the canonical JSON used for settings hashes. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}
