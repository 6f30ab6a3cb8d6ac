/**
 * Generation settings: the one module for scheduler names, defaults, pack overrides, ranges and parsing.
 *
 * How to use it (CLI, worker, UI store and batch job lines all do exactly this):
 *
 *   import { defaultSettings, parseSettingText, parseSettingsObject, validateSettings, toGenerationSettings } from '../core/settings';
 *
 *   // 1. defaults: the reference values, the context-margin rule, the pack's `defaults` and, when the
 *   //    prompt is one of the pack's `promptPresets`, that preset's own settings (all validated by
 *   //    parseManifest), in that order of precedence from low to high
 *   const base = defaultSettings(pack.manifest, prompt);
 *   // 2. what the user set: from text (`--steps 30`, `steps=30`) or from a JSON object
 *   const user = { steps: parseSettingText('steps', '30'), ...parseSettingsObject(jobLineJson) };
 *   // 3. merge and check with the one set of ranges (SETTING_FIELDS); messages name the field
 *   const values = { ...base, ...user };
 *   const problems = validateSettings(values); // [] or [{ key, message, expected, found }]
 *   // 4. the nested form the pipeline and the worker take (plus image and trimap)
 *   const request = { ...toGenerationSettings(values), image, trimap };
 *
 * `SETTING_FIELDS` gives each field's label (UI), flag (CLI option / job-line key), kind and range;
 * `PACK_SETTING_KEYS` the fields a pack may default; `settingsToArgs` turns values into CLI options.
 */
export * from './schedulers';
export * from './settings';
