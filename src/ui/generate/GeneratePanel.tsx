// The generation side panel: model, prompt and settings, Generate/Stop, progress, results, export.
import { useEffect, useId, useMemo, useRef } from 'react';
import { thumbnails } from './buffers';
import {
  resetToModelDefaults,
  settingsDifferingFromModel,
  useModel,
  useResults,
  useRun,
  useSettings,
  STAGE_LABELS,
  type RunState,
  type SettingsState,
} from './stores';
import {
  PACK_SETTING_KEYS,
  numericRange,
  SCHEDULERS,
  SCHEDULER_NAMES,
  SETTING_FIELDS,
  packDefaultValues,
  presetFor,
  presetPrompts,
  type PackSettingKey,
  type PresetSettingKey,
  type SchedulerName,
  type SettingKey,
} from '../../core/settings';
import { useGeneration } from './context';
import { editor, useImageRevision } from '../editorInstance';
import { packProgressLine } from '../packProgress';
import { UnknownPromptWords } from './PromptWords';
import { ModelList } from '../models/ModelLibrary';
import { CommandButton } from '../CommandButton';


/** A preset's setting as the preset list shows it: a text field's value in quotes (Negative prompt "a scratch"). */
function presetSettingText(k: PresetSettingKey, v: unknown): string {
  return `${SETTING_FIELDS[k].label} ${SETTING_FIELDS[k].kind === 'text' ? JSON.stringify(v) : String(v)}`;
}

/** Marks a pack setting whose value differs from the loaded model's default. */
function useDiffers(field: SettingKey): boolean {
  return useSettings((s) => (PACK_SETTING_KEYS as readonly string[]).includes(field) && settingsDifferingFromModel(s).includes(field as PackSettingKey));
}

/** A number input for one setting: label, range and step from src/core/settings. */
function NumberField(props: { field: SettingKey; disabled?: boolean }) {
  const id = useId();
  const f = SETTING_FIELDS[props.field];
  const value = useSettings((s) => s[props.field]) as number;
  const set = useSettings((s) => s.set);
  const differs = useDiffers(props.field);
  if (f.kind !== 'int' && f.kind !== 'number') return null;
  return (
    <div className={`ds-field${differs ? ' ds-differs' : ''}`} data-differs={differs || undefined}>
      <label htmlFor={id}>{f.label}</label>
      <input
        id={id}
        type="number"
        min={f.min}
        max={f.max}
        step={f.step ?? 'any'}
        value={Number.isFinite(value) ? value : ''}
        disabled={props.disabled}
        onChange={(e) => set({ [props.field]: e.target.value === '' ? NaN : Number(e.target.value) } as Partial<SettingsState>)}
      />
    </div>
  );
}

/** A checkbox for one boolean setting: its label (the accessible name) from src/core/settings. */
function CheckField(props: { field: SettingKey }) {
  const id = useId();
  const f = SETTING_FIELDS[props.field];
  const value = useSettings((s) => s[props.field]) as boolean;
  const set = useSettings((s) => s.set);
  const differs = useDiffers(props.field);
  if (f.kind !== 'bool') return null;
  return (
    <div className={`ds-field${differs ? ' ds-differs' : ''}`} data-differs={differs || undefined}>
      <label>
        <input id={id} type="checkbox" checked={value} onChange={(e) => set({ [props.field]: e.target.checked } as Partial<SettingsState>)} /> {f.label}
      </label>
    </div>
  );
}

function SchedulerField() {
  const id = useId();
  const value = useSettings((s) => s.scheduler);
  const set = useSettings((s) => s.set);
  const differs = useDiffers('scheduler');
  return (
    <div className={`ds-field${differs ? ' ds-differs' : ''}`} data-differs={differs || undefined}>
      <label htmlFor={id}>{SETTING_FIELDS.scheduler.label}</label>
      <select id={id} value={value} onChange={(e) => set({ scheduler: e.target.value as SchedulerName })}>
        {SCHEDULER_NAMES.map((n) => (
          <option key={n} value={n}>
            {SCHEDULERS[n].label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** "Reset to the model's defaults" and the list of settings that differ from them. */
function ModelDefaults() {
  const s = useSettings();
  const differing = settingsDifferingFromModel(s);
  if (!s.pack) return null;
  const d = packDefaultValues(s.pack, s.prompt);
  const show = (v: unknown) => (typeof v === 'boolean' ? (v ? 'on' : 'off') : typeof v === 'number' && !Number.isFinite(v) ? 'empty' : String(v));
  return (
    <div className="ds-field ds-col" data-testid="model-defaults">
      <div className="ds-muted" data-testid="settings-differing">
        {differing.length
          ? `Differs from the model's defaults: ${differing.map((k) => `${SETTING_FIELDS[k].label} ${show(s[k])} (model ${show(d[k])})`).join(', ')}`
          : "All settings are the model's defaults."}
      </div>
      <button type="button" disabled={!differing.length && !s.userSet.some((k) => (PACK_SETTING_KEYS as readonly string[]).includes(k))} onClick={resetToModelDefaults}>
        Reset to the model's defaults
      </button>
    </div>
  );
}

function ModelSection() {
  const m = useModel();
  const backendSetting = useSettings((s) => s.backend);
  const running = useRun((r) => r.running);
  const id = useId();
  const g = useGeneration();
  useEffect(() => {
    void g.ensureModel();
  }, [g]);
  return (
    <section aria-label="Model" className="ds-section">
      <div className="ds-row">
        <strong>{m.manifest?.name ?? 'Model'}</strong>
        <span className="ds-muted" data-testid="model-status" data-load-ms={Math.round(m.loadMs)} title={m.loadMs ? `loaded in ${(m.loadMs / 1000).toFixed(1)} s` : undefined}>
          {m.status === 'loading' && 'loading…'}
          {m.status === 'ready' && `ready${m.fromCache ? ' (from cache)' : ''}`}
          {m.status === 'error' && 'failed'}
        </span>
      </div>
      {m.status === 'loading' && (
        <div>
          <progress aria-label="Model download" max={m.progress?.totalBytes || 1} value={m.progress?.loadedBytes ?? 0} />
          <div className="ds-muted" data-testid="model-progress">
            {m.progress ? packProgressLine(m.progress) : '…'}
          </div>
        </div>
      )}
      {m.status === 'error' && (
        <button type="button" onClick={() => void g.ensureModel(true)}>
          Retry loading
        </button>
      )}
      <ModelList />
      <div className="ds-field">
        <label htmlFor={id}>Backend</label>
        <select id={id} value={backendSetting} disabled={running} onChange={(e) => g.setBackend(e.target.value as typeof backendSetting)}>
          <option value="auto">Auto</option>
          <option value="webgpu">WebGPU</option>
          <option value="wasm">WASM</option>
        </select>
      </div>
      <div className="ds-muted" data-testid="backend-in-use">
        In use: {m.backend ? (m.backend === 'webgpu' ? 'WebGPU' : `WASM (${m.threads} thread${m.threads === 1 ? '' : 's'})`) : '—'}
      </div>
      {m.backendNote && <div className="ds-note">{m.backendNote}</div>}
    </section>
  );
}

function PromptSection() {
  const s = useSettings();
  const manifest = useModel((m) => m.manifest);
  const presets = useMemo(() => presetPrompts(manifest), [manifest]);
  const preset = manifest ? presetFor(manifest, s.prompt) : null;
  const presetSettings = preset ? (Object.keys(preset.settings) as PresetSettingKey[]) : [];
  const ids = { prompt: useId(), preset: useId(), neg: useId(), seed: useId(), rnd: useId(), ada: useId() };
  return (
    <section aria-label="Prompt and settings" className="ds-section">
      <div className="ds-field ds-col">
        <label htmlFor={ids.prompt}>Prompt</label>
        <textarea id={ids.prompt} rows={2} value={s.prompt} onChange={(e) => s.set({ prompt: e.target.value })} />
        <UnknownPromptWords prompt={s.prompt} presetId={presets.length > 0 ? ids.preset : null} />
      </div>
      {presets.length > 0 && (
        <div className="ds-field">
          <label htmlFor={ids.preset}>Preset</label>
          <select id={ids.preset} value={preset?.prompt ?? ''} onChange={(e) => e.target.value && s.set({ prompt: e.target.value })}>
            <option value="">—</option>
            {presets.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
          {presetSettings.length > 0 && (
            <span className="ds-muted" data-testid="preset-settings" title="The preset's own settings; a setting you change yourself wins">
              Preset settings: {presetSettings.map((k) => presetSettingText(k, preset!.settings[k])).join(', ')}
            </span>
          )}
        </div>
      )}
      <div className="ds-field ds-col">
        <label htmlFor={ids.neg} title="Negative prompt: what the defect should not look like">Negative</label>
        <input id={ids.neg} type="text" value={s.negativePrompt} onChange={(e) => s.set({ negativePrompt: e.target.value })} />
      </div>
      <div className="ds-field">
        <label htmlFor={ids.seed}>Seed</label>
        <input
          id={ids.seed}
          type="number"
          min={numericRange('seed')?.min}
          max={numericRange('seed')?.max}
          value={Number.isFinite(s.seed) ? s.seed : ''}
          disabled={s.randomSeed}
          onChange={(e) => s.set({ seed: e.target.value === '' ? NaN : Number(e.target.value) })}
        />
        <label>
          <input id={ids.rnd} type="checkbox" checked={s.randomSeed} onChange={(e) => s.set({ randomSeed: e.target.checked })} /> Random
        </label>
      </div>
      <NumberField field="steps" />
      <NumberField field="guidance" />
      <SchedulerField />
      <NumberField field="eta" />
      <NumberField field="latentEditStart" />
      <NumberField field="pixelEditStart" />
      <NumberField field="dilationPx" />
      <NumberField field="contextMargin" />
      <NumberField field="seamPx" />
      <CheckField field="seamSpareStrokes" />
      <NumberField field="variants" />
      <NumberField field="previewEvery" />
      <div className="ds-field">
        <label>
          <input id={ids.ada} type="checkbox" checked={s.adaptation} onChange={(e) => s.set({ adaptation: e.target.checked })} /> {SETTING_FIELDS.adaptation.label}
        </label>
      </div>
      <ModelDefaults />
      <div className="ds-row">
        <CommandButton id="generate.run" className="ds-primary" />
        <CommandButton id="generate.stop" />
      </div>
    </section>
  );
}

function statusText(r: RunState): string {
  const label = STAGE_LABELS[r.stage] ?? r.stage;
  if (!r.totalSteps) return 'idle';
  return `step ${r.step}/${r.totalSteps}${label ? ` · ${label}` : ''}${r.variants > 1 && r.running ? ` · variant ${r.variant}/${r.variants}` : ''}`;
}

/** Progress changes every step: written to the DOM by a transient store subscription, not re-rendered. */
function ProgressSection() {
  const bar = useRef<HTMLDivElement>(null);
  const fill = useRef<HTMLDivElement>(null);
  const text = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const write = (r: RunState) => {
      if (!bar.current || !fill.current || !text.current) return;
      bar.current.setAttribute('aria-valuemax', String(r.totalSteps || 0));
      bar.current.setAttribute('aria-valuenow', String(r.step));
      fill.current.style.width = `${r.totalSteps ? (100 * r.step) / r.totalSteps : 0}%`;
      const t = statusText(r);
      if (text.current.textContent !== t) text.current.textContent = t;
    };
    write(useRun.getState());
    return useRun.subscribe(write);
  }, []);
  return (
    <section aria-label="Progress" className="ds-section">
      <div ref={bar} role="progressbar" aria-label="Generation progress" aria-valuemin={0} className="ds-progress">
        <div ref={fill} className="ds-progress-fill" />
      </div>
      <div ref={text} className="ds-muted" data-testid="generation-status" />
    </section>
  );
}

function Thumb({ id }: { id: number }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const t = thumbnails.get(id);
    const c = ref.current;
    if (!t || !c) return;
    c.width = t.width;
    c.height = t.height;
    c.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(t.data), t.width, t.height), 0, 0);
  }, [id]);
  return <canvas ref={ref} width={96} height={96} style={{ width: 64, height: 64 }} aria-hidden="true" />;
}

function ResultsSection() {
  const { results, selectedId, wipe } = useResults();
  const s = useSettings();
  const ids = { wipe: useId(), cat: useId(), def: useId() };
  const g = useGeneration();
  useImageRevision(); // re-render when another image is opened
  const key = g.currentSourceKey();
  const visible = results.filter((r) => r.status !== 'discarded' && r.sourceKey === key);
  const selected = visible.find((r) => r.id === selectedId);
  const accepted = results.filter((r) => r.status === 'accepted').length;
  return (
    <section aria-label="Results" className="ds-section">
      <div className="ds-gallery" role="list" aria-label="Results gallery">
        {visible.map((r) => (
          <button
            type="button"
            role="listitem"
            key={r.id}
            aria-pressed={r.id === selectedId}
            aria-label={`Result ${r.id}, seed ${r.seed}${r.status === 'accepted' ? ', accepted' : ''}`}
            className={`ds-thumb${r.id === selectedId ? ' ds-selected' : ''}${r.status === 'accepted' ? ' ds-accepted' : ''}`}
            onClick={() => g.selectResult(r.id)}
          >
            <Thumb id={r.id} />
            <span>seed {r.seed}</span>
          </button>
        ))}
      </div>
      {selected && (
        <>
          <div className="ds-muted">
            Seed {selected.seed} · {selected.settings.steps} steps · guidance {selected.settings.guidance} · {selected.backend} · hold Tab for the original
          </div>
          <div className="ds-field">
            <label htmlFor={ids.wipe}>Compare</label>
            <input id={ids.wipe} type="range" min={0} max={100} value={Math.round(wipe * 100)} onChange={(e) => g.setWipe(Number(e.target.value) / 100)} />
          </div>
          <div className="ds-row">
            <button type="button" disabled={selected.status === 'accepted'} onClick={() => g.setResultStatus(selected.id, 'accepted')}>
              Accept
            </button>
            <button type="button" onClick={() => g.setResultStatus(selected.id, 'discarded')}>
              Discard
            </button>
            <CommandButton id="generate.export" />
          </div>
        </>
      )}
      <div className="ds-field">
        <label htmlFor={ids.cat}>Category</label>
        <input id={ids.cat} type="text" placeholder="from the image name" value={s.category} onChange={(e) => s.set({ category: e.target.value })} />
      </div>
      <div className="ds-field">
        <label htmlFor={ids.def}>Defect type</label>
        <input id={ids.def} type="text" placeholder="from the prompt" value={s.defectName} onChange={(e) => s.set({ defectName: e.target.value })} />
      </div>
      <button type="button" disabled={accepted === 0} onClick={() => g.exportDatasetZip()}>
        Export dataset
      </button>
      <span className="ds-muted"> {accepted} accepted</span>
    </section>
  );
}

export function GeneratePanel() {
  const g = useGeneration();
  useEffect(() => editor.subscribe((c) => c.type === 'document' && g.onDocumentChanged()), [g]);
  return (
    <div className="ds-generate" aria-label="Generate">
      <ModelSection />
      <PromptSection />
      <ProgressSection />
      <ResultsSection />
    </div>
  );
}
