// The settings store (issue 16): a pack's defaults fill only the fields the user has not set; the user's
// fields survive a model switch and a reload (localStorage); one command resets to the model's defaults.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { PackManifest } from '../../core/models/manifest-types';

class MemoryStorage {
  private m = new Map<string, string>();
  getItem(k: string) {
    return this.m.has(k) ? this.m.get(k)! : null;
  }
  setItem(k: string, v: string) {
    this.m.set(k, String(v));
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
}

const pack = (id: string, resolution: number, defaults: PackManifest['defaults']) =>
  ({ id, resolution, defaults, promptPresets: [`${id} preset`] }) as unknown as PackManifest;
const builtin = pack('builtin', 256, { steps: 25, guidance: 7, scheduler: 'euler' });
const other = pack('other', 64, { steps: 12, guidance: 5 });

/** A fresh page: the module (and its store) loaded anew, reading what the last page stored. */
async function loadPage() {
  vi.resetModules();
  return import('./stores');
}

describe('settings store', () => {
  beforeEach(() => {
    (globalThis as { localStorage?: unknown }).localStorage = new MemoryStorage();
  });

  it('untouched fields follow the pack; typed fields stay through loading, a switch and a reload', async () => {
    let st = await loadPage();
    st.useSettings.getState().set({ steps: 10, guidance: 3 }); // typed while the model loads
    st.applyPackDefaults(builtin);
    let s = st.useSettings.getState();
    expect([s.steps, s.guidance, s.scheduler, s.contextMargin, s.prompt]).toEqual([10, 3, 'euler', 64, 'builtin preset']);
    expect(st.settingsDifferingFromModel(s)).toEqual(['steps', 'guidance']);
    expect(st.settingsToRequest(s, 5)).toMatchObject({ steps: 10, guidance: 3, scheduler: 'euler', contextMargin: 64, seed: 5 });

    st.applyPackDefaults(other); // a model switch
    s = st.useSettings.getState();
    expect([s.steps, s.guidance, s.scheduler, s.contextMargin]).toEqual([10, 3, 'ddim', 16]);

    st = await loadPage(); // a reload
    s = st.useSettings.getState();
    expect([s.steps, s.guidance]).toEqual([10, 3]);
    st.applyPackDefaults(builtin);
    s = st.useSettings.getState();
    expect([s.steps, s.guidance, s.scheduler]).toEqual([10, 3, 'euler']);
  });

  it('Reset to the model\'s defaults sets the pack values and forgets the user\'s, also after a reload', async () => {
    let st = await loadPage();
    st.applyPackDefaults(builtin);
    st.useSettings.getState().set({ steps: 10, guidance: 3, prompt: 'my prompt' });
    st.resetToModelDefaults();
    let s = st.useSettings.getState();
    expect([s.steps, s.guidance, s.prompt]).toEqual([25, 7, 'my prompt']); // the prompt is not a model setting
    expect(st.settingsDifferingFromModel(s)).toEqual([]);
    st = await loadPage();
    st.applyPackDefaults(builtin);
    s = st.useSettings.getState();
    expect([s.steps, s.guidance, s.prompt]).toEqual([25, 7, 'my prompt']);
  });

  it('a stored value that no longer validates is dropped, not used', async () => {
    localStorage.setItem('defect-studio.settings', JSON.stringify({ values: { steps: 0, guidance: 3, scheduler: 'pndm', bogus: 1 } }));
    const st = await loadPage();
    st.applyPackDefaults(builtin);
    const s = st.useSettings.getState();
    expect([s.steps, s.guidance, s.scheduler]).toEqual([25, 3, 'euler']);
    expect(s.userSet).toEqual(['guidance']);
  });

  it('a preset\'s own settings follow the prompt (chosen or typed); a setting the user set wins; reset uses the prompt\'s', async () => {
    const st = await loadPage();
    const m = {
      id: 'p', resolution: 256, defaults: { steps: 25, guidance: 7, latentEditStart: 0.52 },
      promptPresets: ['a scratch', { prompt: 'a color spot', guidance: 4, latentEditStart: 0.6 }],
    } as unknown as PackManifest;
    st.applyPackDefaults(m);
    let s = st.useSettings.getState();
    expect([s.prompt, s.guidance, s.latentEditStart]).toEqual(['a scratch', 7, 0.52]);
    s.set({ prompt: 'a color spot' }); // the preset list sets the prompt
    s = st.useSettings.getState();
    expect([s.guidance, s.latentEditStart, s.steps]).toEqual([4, 0.6, 25]);
    expect(st.settingsDifferingFromModel(s)).toEqual([]);
    expect(st.settingsToRequest(s, 1)).toMatchObject({ prompt: 'a color spot', guidance: 4, stages: { latentEditStart: 0.6, pixelEditStart: 0.9 } });
    s.set({ prompt: 'a color spot on wood' }); // not a preset: the pack's defaults again
    s = st.useSettings.getState();
    expect([s.guidance, s.latentEditStart]).toEqual([7, 0.52]);
    s.set({ guidance: 6 }); // the user's own value wins over any preset
    st.useSettings.getState().set({ prompt: 'A color spot' });
    s = st.useSettings.getState();
    expect([s.guidance, s.latentEditStart]).toEqual([6, 0.6]);
    expect(st.settingsDifferingFromModel(s)).toEqual(['guidance']);
    expect(st.settingsToRequest(s, 1)).toMatchObject({ guidance: 6, stages: { latentEditStart: 0.6 } });
    st.resetToModelDefaults();
    s = st.useSettings.getState();
    expect([s.guidance, s.latentEditStart, s.userSet.includes('guidance')]).toEqual([4, 0.6, false]);
    // a reload with the preset prompt stored: the preset's settings again once the pack is loaded
    const again = await loadPage();
    again.applyPackDefaults(m);
    s = again.useSettings.getState();
    expect([s.prompt, s.guidance, s.latentEditStart]).toEqual(['A color spot', 4, 0.6]);
  });

  it("a preset's own negative prompt fills the Negative field while the user has not set it; the user's text wins", async () => {
    const st = await loadPage();
    const m = {
      id: 'p', resolution: 256, defaults: { steps: 25, guidance: 7 },
      promptPresets: ['a scratch', { prompt: 'a crack', negativePrompt: 'a scratch' }],
    } as unknown as PackManifest;
    st.applyPackDefaults(m);
    let s = st.useSettings.getState();
    expect([s.prompt, s.negativePrompt]).toEqual(['a scratch', '']);
    s.set({ prompt: 'a crack' });
    s = st.useSettings.getState();
    expect(s.negativePrompt).toBe('a scratch');
    expect(st.settingsToRequest(s, 1)).toMatchObject({ prompt: 'a crack', negativePrompt: 'a scratch' });
    expect(st.settingsDifferingFromModel(s)).toEqual([]);
    s.set({ prompt: 'a crack on wood' }); // not a preset: no negative prompt
    expect(st.useSettings.getState().negativePrompt).toBe('');
    st.useSettings.getState().set({ negativePrompt: 'a fold' }); // the user's own text wins over the preset's
    st.useSettings.getState().set({ prompt: 'a crack' });
    s = st.useSettings.getState();
    expect([s.negativePrompt, s.userSet.includes('negativePrompt')]).toEqual(['a fold', true]);
  });
});
