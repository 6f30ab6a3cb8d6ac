// The prompt's words that the loaded pack's tokenizer does not know ("not understood: rust, bracket"),
// with the preset list one click away. The vocabulary comes from the worker (LoadedMessage.knownWords);
// the split rule is the core tokenizer's own (unknownWords).
import { useMemo } from 'react';
import { unknownWords } from '../../core/models/tokenizers';
import { useModel } from './stores';

export function UnknownPromptWords({ prompt, presetId }: { prompt: string; presetId: string | null }) {
  const known = useModel((m) => m.knownWords);
  const vocabulary = useMemo(() => (known ? new Set(known) : null), [known]);
  const unknown = useMemo(() => (vocabulary ? unknownWords(prompt, vocabulary) : []), [prompt, vocabulary]);
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
