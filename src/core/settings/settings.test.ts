import { describe, expect, it } from 'vitest';
import {
  PACK_SETTING_KEYS,
  SCHEDULER_NAMES,
  SETTING_FIELDS,
  SETTING_KEYS,
  SettingsError,
  byFlag,
  defaultSettings,
  differingFromPack,
  fromGenerationSettings,
  packDefaultValues,
  parsePackDefaults,
  parsePromptPresets,
  parseSettingText,
  presetFor,
  presetPrompts,
  parseSettingsObject,
  settingsToArgs,
  toGenerationSettings,
  validateSettings,
} from './index';
import { createScheduler, parseSchedulerConfig, SD_SCHEDULER_CONFIG } from '../diffusion/schedulers';

const builtinLike = {
  resolution: 256,
  defaults: { steps: 25, guidance: 7, latentEditStart: 0.52, pixelEditStart: 0.9, dilationPx: 16, scheduler: 'euler' as const },
};

describe('settings defaults', () => {
  it('reference values, the context-margin rule, then the pack overrides', () => {
    const ref = defaultSettings(null);
    expect(ref).toMatchObject({ steps: 50, guidance: 9, scheduler: 'ddim', eta: 0, dilationPx: 16, contextMargin: 128, adaptation: true });
    const d = defaultSettings(builtinLike);
    // The same margin for the CLI and the app: a quarter of the native resolution (was 64 vs 32).
    expect(d.contextMargin).toBe(64);
    // The pack's scheduler is the default scheduler (the app used to ignore it).
    expect(d.scheduler).toBe('euler');
    expect(d.steps).toBe(25);
    expect(d.guidance).toBe(7);
    expect(d.eta).toBe(0);
    expect(defaultSettings({ resolution: 256, defaults: { contextMargin: 10 } }).contextMargin).toBe(10);
  });

  it('every default validates', () => {
    expect(validateSettings({ ...defaultSettings(builtinLike), prompt: 'a scratch' })).toEqual([]);
    expect(validateSettings({ ...defaultSettings(null), prompt: 'a scratch' })).toEqual([]);
  });

  it('differingFromPack names exactly the changed pack settings', () => {
    const v = { ...packDefaultValues(builtinLike), steps: 10, guidance: 3 };
    expect(differingFromPack(v, builtinLike)).toEqual(['steps', 'guidance']);
    expect(differingFromPack(packDefaultValues(builtinLike), builtinLike)).toEqual([]);
  });

  it('a prompt preset\'s own settings override the pack defaults for that prompt only', () => {
    const pack = {
      ...builtinLike,
      promptPresets: ['a scratch', { prompt: 'a color spot', guidance: 4, latentEditStart: 0.6 }, { prompt: 'a fold', guidance: 9 }],
    };
    expect(presetPrompts(pack)).toEqual(['a scratch', 'a color spot', 'a fold']);
    expect(defaultSettings(pack, 'a color spot')).toMatchObject({ guidance: 4, latentEditStart: 0.6, steps: 25, pixelEditStart: 0.9 });
    // the same preset however it is spaced or capitalised; any other prompt, or none, gets the pack's defaults
    expect(defaultSettings(pack, '  A  Color spot ').guidance).toBe(4);
    expect(defaultSettings(pack, 'a fold').guidance).toBe(9);
    expect(defaultSettings(pack, 'a scratch').guidance).toBe(7);
    expect(defaultSettings(pack, 'a color spot on wood').guidance).toBe(7);
    expect(defaultSettings(pack).guidance).toBe(7);
    expect(presetFor(pack, 'a scratch')).toEqual({ prompt: 'a scratch', settings: {} });
    // "differs from the model" is judged against the prompt's defaults
    expect(differingFromPack({ ...packDefaultValues(pack), guidance: 4, latentEditStart: 0.6 }, pack, 'a color spot')).toEqual([]);
    expect(differingFromPack(packDefaultValues(pack), pack, 'a color spot')).toEqual(['guidance', 'latentEditStart']);
  });

  it("a prompt preset's own negative prompt applies to that prompt only; a pack's defaults cannot have one", () => {
    const pack = { ...builtinLike, promptPresets: ['a scratch', { prompt: 'a crack', negativePrompt: 'a scratch', guidance: 9 }] };
    expect(defaultSettings(pack, 'a crack')).toMatchObject({ negativePrompt: 'a scratch', guidance: 9, steps: 25 });
    expect(defaultSettings(pack, ' A CRACK').negativePrompt).toBe('a scratch');
    expect(defaultSettings(pack, 'a crack on wood').negativePrompt).toBe('');
    expect(defaultSettings(pack, 'a scratch').negativePrompt).toBe('');
    expect(defaultSettings(pack).negativePrompt).toBe('');
    expect(presetFor(pack, 'a crack')).toEqual({ prompt: 'a crack', settings: { negativePrompt: 'a scratch', guidance: 9 } });
    expect(parsePromptPresets([{ prompt: 'a crack', negativePrompt: 'a scratch' }])).toEqual([{ prompt: 'a crack', negativePrompt: 'a scratch' }]);
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(SettingsError);
        return (e as SettingsError).message;
      }
      return 'no error';
    };
    expect(err(() => parsePromptPresets([{ prompt: 'a crack', negativePrompt: 3 }]))).toBe(
      'promptPresets[0].negativePrompt must be a text of at most 2000 characters, got 3',
    );
    expect(err(() => parsePromptPresets([{ prompt: 'a crack', negativePrompt: 'x'.repeat(2001) }]))).toMatch(/^promptPresets\[0\]\.negativePrompt must be a text/);
    expect(err(() => parsePackDefaults({ negativePrompt: 'a scratch' }))).toMatch(/^defaults: unknown setting "negativePrompt"/);
  });

  it('prompt presets: plain strings still parse; a bad preset is one clear error naming it', () => {
    expect(parsePromptPresets(['a scratch', 'a dent'])).toEqual(['a scratch', 'a dent']);
    expect(parsePromptPresets([{ prompt: 'a dent', guidance: 5 }])).toEqual([{ prompt: 'a dent', guidance: 5 }]);
    const err = (raw: unknown, defaults = {}) => {
      try {
        parsePromptPresets(raw, defaults);
      } catch (e) {
        expect(e).toBeInstanceOf(SettingsError);
        return (e as SettingsError).message;
      }
      return 'no error';
    };
    expect(err(['a scratch', { prompt: 'a dent', guidance: 45 }])).toBe('promptPresets[1].guidance must be a number from 0 to 30, got 45');
    expect(err([{ prompt: 'a dent', strength: 0.5 }])).toMatch(/^promptPresets\[0\]: unknown setting "strength"/);
    expect(err([{ prompt: 'a dent', prompt2: 1 }])).toMatch(/unknown setting "prompt2"/);
    expect(err([{ prompt: 'a dent', seed: 3 }])).toMatch(/unknown setting "seed"/); // pack settings only
    expect(err([{ guidance: 4 }])).toBe('promptPresets[0].prompt must be a prompt, got nothing');
    expect(err([{ prompt: '  ', guidance: 4 }])).toMatch(/^promptPresets\[0\]\.prompt must be a non-empty text/);
    expect(err(['a dent', 3])).toMatch(/^promptPresets\[1\] must be a prompt or/);
    expect(err(['a dent', { prompt: 'A dent', guidance: 4 }])).toMatch(/^promptPresets\[1\] must be a prompt no other preset has/);
    expect(err([{ prompt: 'a dent', guidance: 4 }, 'a  dent'])).toMatch(/^promptPresets\[0\] must be a prompt no other preset has/);
    expect(parsePromptPresets(['a dent', 'a dent', ''])).toEqual(['a dent', 'a dent', '']); // plain strings as they always were
    expect(err('a dent')).toMatch(/^promptPresets must be a list/);
    // merged over the pack's defaults, the stages must still be in order
    expect(err([{ prompt: 'a dent', latentEditStart: 0.95 }], { pixelEditStart: 0.9 })).toBe(
      'promptPresets[0].latentEditStart must not be after defaults.pixelEditStart: 0.95 > 0.9',
    );
  });

  it('every scheduler name of the registry has a factory', () => {
    for (const n of SCHEDULER_NAMES) expect(createScheduler(n, SD_SCHEDULER_CONFIG).name).toBe(n);
    expect(() => createScheduler('pndm' as never, SD_SCHEDULER_CONFIG)).toThrow(/unknown scheduler "pndm"/);
  });

  it('an absurd num_train_timesteps is refused before any table is allocated', () => {
    expect(() => parseSchedulerConfig({ num_train_timesteps: 1e8 })).toThrow(/must be an integer from 2 to 100000, got 100000000/);
    expect(parseSchedulerConfig({ num_train_timesteps: 4000 }).num_train_timesteps).toBe(4000);
  });
});

describe('settings validation (one set of ranges)', () => {
  const ok = { ...defaultSettings(builtinLike), prompt: 'a scratch' };
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['guidance above 30', { guidance: 30.5 }, /^Guidance must be a number from 0 to 30, got 30.5$/],
    ['negative guidance', { guidance: -1 }, /^Guidance must be a number from 0 to 30/],
    ['eta above 1', { eta: 2 }, /^Eta must be a number from 0 to 1, got 2$/],
    ['steps 0', { steps: 0 }, /^Steps must be an integer from 1 to 1000, got 0$/],
    ['steps fractional', { steps: 2.5 }, /^Steps must be an integer/],
    ['empty field', { steps: NaN }, /^Steps must be an integer from 1 to 1000, got nothing$/],
    ['seed too large', { seed: 2 ** 32 }, /^Seed must be an integer from 0 to 4294967295/],
    ['fraction above 1', { pixelEditStart: 1.5 }, /^Pixel blending from must be a number from 0 to 1/],
    ['stages out of order', { latentEditStart: 0.95, pixelEditStart: 0.9 }, /^Latent blending from must not be after Pixel blending from/],
    ['fractional margin', { dilationPx: 4.5 }, /^Edit margin \(px\) must be an integer from 0 to 256, got 4.5$/],
    ['unknown scheduler', { scheduler: 'pndm' }, /^Scheduler must be one of ddim, euler, dpmpp-2m, got "pndm"$/],
    ['empty prompt', { prompt: '  ' }, /^Prompt is empty/],
    ['variants', { variants: 17 }, /^Variants must be an integer from 1 to 16/],
    ['negative margin', { contextMargin: -1 }, /^Context margin \(px\) must be an integer from 0 to 16384/],
  ];
  for (const [name, patch, re] of cases) {
    it(name, () => {
      const p = validateSettings({ ...ok, ...patch });
      expect(p.length).toBe(1);
      expect(p[0].message).toMatch(re);
    });
  }

  it('control characters never reach a message', () => {
    const p = validateSettings({ scheduler: '\u001b[31mred\u202e' as never });
    expect(p[0].message).not.toMatch(/[\u0000-\u001f\u202e]/);
  });
});

describe('settings parsing', () => {
  it('text values for the CLI and job lines, named by flag', () => {
    expect(parseSettingText('steps', '30')).toBe(30);
    expect(parseSettingText('guidance', '7.5')).toBe(7.5);
    expect(parseSettingText('adaptation', 'off')).toBe(false);
    expect(parseSettingText('scheduler', 'dpmpp-2m')).toBe('dpmpp-2m');
    expect(() => parseSettingText('steps', 'many')).toThrow(/^--steps must be an integer from 1 to 1000, got "many"$/);
    expect(() => parseSettingText('guidance', '1e3')).toThrow(/^--guidance must be a number from 0 to 30, got "1e3"$/);
    expect(() => parseSettingText('eta', '')).toThrow(/--eta must be a number/);
    expect(() => parseSettingText('steps', '-3')).toThrow(SettingsError);
  });

  it('a pack defaults object: known keys, typed values, same ranges', () => {
    expect(parsePackDefaults(builtinLike.defaults)).toEqual(builtinLike.defaults);
    expect(() => parsePackDefaults({ scheduler: 'pndm' })).toThrow(/^defaults\.scheduler must be one of ddim, euler, dpmpp-2m, got "pndm"$/);
    expect(() => parsePackDefaults({ steps: '25' })).toThrow(/^defaults\.steps must be an integer/);
    expect(() => parsePackDefaults({ guidance: 100 })).toThrow(/^defaults\.guidance must be a number from 0 to 30/);
    expect(() => parsePackDefaults({ stepz: 3 })).toThrow(/unknown setting "stepz"/);
    expect(() => parsePackDefaults({ prompt: 'x' })).toThrow(/unknown setting "prompt"/); // not a pack setting
    expect(() => parsePackDefaults([])).toThrow(/must be an object/);
  });

  it('a job-line object: any setting', () => {
    expect(parseSettingsObject({ prompt: 'a crack', seed: 3, variants: 2 })).toEqual({ prompt: 'a crack', seed: 3, variants: 2 });
  });
});

describe('settings conversions', () => {
  it('flat -> nested -> flat is the identity, and settingsToArgs round-trips through parseSettingText', () => {
    const v = { ...defaultSettings(builtinLike), prompt: 'a scratch', negativePrompt: 'blur', seed: 9, adaptation: false };
    const g = toGenerationSettings(v);
    expect(g.stages).toEqual({ latentEditStart: 0.52, pixelEditStart: 0.9 });
    expect(g.adaptation).toEqual({ enabled: false, mu: 1e4, backgroundWeight: 100, maxSamples: 16384 });
    const { variants: _v, previewEvery: _p, ...rest } = v;
    expect(fromGenerationSettings(g)).toEqual(rest);
    const back: Record<string, unknown> = {};
    for (const a of settingsToArgs(v)) {
      const m = /^--(no-)?([a-z-]+)(?:=(.*))?$/s.exec(a)!;
      const key = SETTING_KEYS.find((k) => SETTING_FIELDS[k].flag === m[2])!;
      back[key] = m[1] ? false : m[3] === undefined ? true : parseSettingText(key, m[3], byFlag);
    }
    expect(back).toEqual(v);
  });

  it('pack keys are settings with a label and a flag', () => {
    for (const k of PACK_SETTING_KEYS) expect(SETTING_FIELDS[k].flag).toMatch(/^[a-z-]+$/);
  });
});
