// The prompt's words that the loaded pack's tokenizer does not know ("not understood: rust, bracket"),
// with the preset list one click away. The vocabulary and its split rule come from the worker
// (LoadedMessage.vocabulary); the words are cut exactly as the pack's tokenizer cuts them (unknownWords).
import { useMemo } from 'react';
import { unknownWords } from '../../core/models/tokenizers';
import { useModel } from './stores';

export function UnknownPromptWords({ prompt, presetId }: { prompt: string; presetId: string | null }) {
  const vocabulary = useModel((m) => m.vocabulary);
  const known = useMemo(() => (vocabulary ? new Set(vocabulary.words) : null), [vocabulary]);
  const unknown = useMemo(() => (vocabulary && known ? unknownWords(prompt, vocabulary, known) : []), [prompt, vocabulary, known]);
  if (unknown.length === 0) return null;
  const openPresets = () => {
    const el = presetId ? (document.getElementById(presetId) as HTMLSelectElement | null) : null;
    if (!el) return;
    el.focus();
    try {
      el.showPicker?.();
    } catch {
      // showPicker needs a user gesture and a visible element; focus alone is the fallback
    }
  };
  return (
    <div className="ds-note ds-unknown-words" role="status" data-testid="unknown-words">
      <span title="The model's tokenizer does not know these words; it reads them as an unknown token">
        not understood: <strong>{unknown.join(', ')}</strong>
      </span>
      {presetId && (
        <button type="button" className="ds-link" onClick={openPresets}>
          presets
        </button>
      )}
    </div>
  );
}
