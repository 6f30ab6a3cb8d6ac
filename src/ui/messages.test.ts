// The one message channel (issue 11): one error and one notice per source, coded errors worded by one table.
import { beforeEach, describe, expect, it } from 'vitest';
import { DefectStudioError, ERROR_CODES, InputError } from '../core/errors';
import { SettingsError } from '../core/settings';
import { ERROR_TITLES, errorTitle, useMessages } from './messages';

const shown = () => useMessages.getState().messages.map((m) => `${m.source}/${m.kind}: ${m.title ? `${m.title}. ` : ''}${m.text}`);

describe('message channel', () => {
  beforeEach(() => useMessages.getState().clear());

  it('keeps one error and one notice per source; a newer one replaces the older', () => {
    const m = useMessages.getState();
    m.error('first');
    m.error('second');
    m.notice('saved');
    m.notice('Stopped', 'generation');
    m.error('Steps must be a whole number', 'generation', 'Bad settings');
    expect(shown()).toEqual(['editor/error: second', 'editor/notice: saved', 'generation/notice: Stopped', 'generation/error: Bad settings. Steps must be a whole number']);
    useMessages.getState().clear('editor');
    expect(shown()).toEqual(['generation/notice: Stopped', 'generation/error: Bad settings. Steps must be a whole number']);
    useMessages.getState().dismiss(useMessages.getState().messages[0].id);
    expect(shown()).toEqual(['generation/error: Bad settings. Steps must be a whole number']);
  });

  it("words an error by its code: the user's own input errors as they are, others in their context", () => {
    const m = useMessages.getState();
    m.report(new InputError('"x.png" is 30000x30000, over the limit'), 'editor', { context: 'Could not open "x.png"' });
    expect(shown()).toEqual(['editor/error: "x.png" is 30000x30000, over the limit']);
    m.report(new Error('QuotaExceededError'), 'editor', { context: 'Autosave failed' });
    expect(shown()).toEqual(['editor/error: Autosave failed (QuotaExceededError)']);
    m.report(new SettingsError([{ key: 'guidance', message: 'guidance must be a number from 0 to 30', expected: 'a number from 0 to 30', found: '45' }]), 'editor', { context: 'x' });
    expect(shown()[0]).toBe('editor/error: guidance must be a number from 0 to 30');
    // titled: the code decides, whatever the text says
    m.report(new DefectStudioError('runtime', 'out of memory'), 'generation', { titled: 'run' });
    expect(shown()[1]).toBe('generation/error: Generation failed. out of memory');
    m.report(new DefectStudioError('runtime', 'session failed'), 'generation', { titled: 'load' });
    expect(shown()[1]).toBe('generation/error: The model could not be loaded. session failed');
  });

  it('has words for every error code', () => {
    for (const c of ERROR_CODES) {
      expect(ERROR_TITLES[c]).toMatch(/^[A-Z]/);
      expect(errorTitle(c, 'load')).toMatch(/^[A-Z]/);
    }
    expect(Object.keys(ERROR_TITLES).sort()).toEqual([...ERROR_CODES].sort());
  });
});
