// The model list (the built-in model and the packs kept in this browser, with sizes and the storage
// estimate; switch, delete) and the "Add model" dialog (a local folder by picker or drop, or a URL).
import { useEffect, useId, useRef, useState, type DragEvent, type FormEvent } from 'react';
import { folderFromDrop, hasDirectoryPicker, pickDirectory, pickedFromInput } from '../imageIO';
import { useModel, useRun } from '../generate/stores';
import { BUILTIN_MODEL_ID } from '../generate/appController';
import { useGeneration } from '../generate/context';
import { useMessages } from '../messages';
import { NOT_ADDED, addModel, chooseModel, deleteModel, folderOrigin, mb, refreshLibrary } from './library';
import { useLibrary } from './store';
import { useModalDialog } from '../useModalDialog';
import { packProgressLine } from '../packProgress';

const everyFile = () => true;

function StorageLine() {
  const storage = useLibrary((s) => s.storage);
  const packs = useLibrary((s) => s.packs);
  const kept = packs.reduce((a, p) => a + p.storedBytes, 0);
  return (
    <div className="ds-muted" data-testid="model-storage">
      {storage
        ? `Models ${mb(kept)} · browser storage ${mb(storage.usage)} used of ${mb(storage.quota)}`
        : `Models ${mb(kept)} · storage estimate unavailable`}
    </div>
  );
}

/** The built-in model and the kept packs as one radio group: the checked one is used for Generate. */
export function ModelList() {
  const { packs, chosen, listed } = useLibrary();
  const loadedId = useModel((m) => m.manifest?.id ?? '');
  const keptId = useModel((m) => m.keptId);
  const running = useRun((r) => r.running);
  const generation = useGeneration();
  const name = useId();
  useEffect(() => {
    void refreshLibrary();
  }, []);
  // The pack in use: the chosen kept pack, else (a `?model=` link, or nothing chosen) the default.
  const active = keptId || chosen;
  const builtin = packs.find((p) => p.id === BUILTIN_MODEL_ID);
  const others = packs.filter((p) => p.id !== BUILTIN_MODEL_ID);
  return (
    <div className="ds-col ds-models">
      <div role="radiogroup" aria-label="Models" className="ds-col" data-listed={listed || undefined}>
        <label className="ds-model-row">
          <input type="radio" name={name} checked={!active} disabled={running} onChange={() => chooseModel(generation, '')} />
          <span>{new URLSearchParams(location.search).has('model') ? 'Model from the link (?model=)' : 'Built-in model'}</span>
          {builtin && <span className="ds-muted">{mb(builtin.bytes)}</span>}
        </label>
        {others.map((p) => (
          <div key={p.id} className="ds-model-row" data-testid="kept-model" data-id={p.id}>
            <label>
              <input type="radio" name={name} checked={active === p.id} disabled={running || !p.complete} onChange={() => chooseModel(generation, p.id)} />
              <span title={`${p.id} · from ${p.source}`}>{p.name || p.id}</span>
            </label>
            <span className="ds-muted" data-testid="kept-model-size">
              {p.complete ? mb(p.bytes) : `${mb(p.storedBytes)} of ${mb(p.bytes)} (unfinished)`}
            </span>
            {loadedId === p.id && active === p.id && <span className="ds-muted">in use</span>}
            <button type="button" aria-label={`Delete ${p.name || p.id}`} disabled={running && active === p.id} onClick={() => void deleteModel(generation, p.id)}>
              Delete
            </button>
          </div>
        ))}
      </div>
      <StorageLine />
      <button
        type="button"
        onClick={() => {
          useMessages.getState().clear('models');
          useLibrary.setState({ dialogOpen: true });
        }}
      >
        Add model
      </button>
      <AddModelDialog />
    </div>
  );
}

function AddProgressLine() {
  const adding = useLibrary((s) => s.adding);
  if (!adding) return null;
  const what = `${adding.step === 'checking' ? 'Checking the pack' : 'Storing'}: ${packProgressLine(adding)}`;
  return (
    <div className="ds-col">
      <progress aria-label="Adding model" max={adding.totalBytes || 1} value={adding.loadedBytes} />
      <div className="ds-muted" data-testid="add-model-progress">
        {what}
      </div>
    </div>
  );
}

export function AddModelDialog() {
  const open = useLibrary((s) => s.dialogOpen);
  const adding = useLibrary((s) => !!s.adding);
  // The dialog shows the channel's `models` messages (the page's own list is behind the modal dialog).
  const messages = useMessages((s) => s.messages);
  const error = messages.find((m) => m.source === 'models' && m.kind === 'error');
  const notice = messages.find((m) => m.source === 'models' && m.kind === 'notice');
  const ref = useModalDialog(open);
  const input = useRef<HTMLInputElement>(null);
  const [url, setUrl] = useState('');
  const [dragOver, setDragOver] = useState(false);
  const urlId = useId();
  const close = () => useLibrary.setState({ dialogOpen: false });
  const fail = (message: string) => {
    useMessages.getState().clear('models');
    useMessages.getState().error(message, 'models', NOT_ADDED);
  };

  const chooseFolder = async () => {
    if (!hasDirectoryPicker()) {
      input.current?.click();
      return;
    }
    try {
      const picked = await pickDirectory(everyFile);
      if (picked) await addModel(folderOrigin(picked.folder, picked.files));
    } catch (e) {
      fail(`The folder could not be read: ${(e as Error).message}`);
    }
  };
  const onInput = () => {
    const all = Array.from(input.current?.files ?? []);
    if (input.current) input.current.value = '';
    if (!all.length) return;
    const picked = pickedFromInput(all, true, everyFile);
    void addModel(folderOrigin(picked.folder, picked.files));
  };
  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    e.stopPropagation();
    setDragOver(false);
    const folder = folderFromDrop(e.dataTransfer, everyFile);
    if (!folder) return fail('Drop the pack folder itself (the folder with defect-studio.json), not a single file.');
    void folder.then(
      (f) => addModel(folderOrigin(f.folder, f.files)),
      (err: Error) => fail(`The dropped folder could not be read: ${err.message}`),
    );
  };
  const onUrl = (e: FormEvent) => {
    e.preventDefault();
    let href: string;
    try {
      const u = new URL(url.trim(), location.href);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(u.protocol);
      href = u.href;
    } catch {
      return fail(`"${url}" is not a web address (https://... of the pack folder).`);
    }
    void addModel({ kind: 'url', url: href });
  };

  return (
    <dialog ref={ref} className="ds-help ds-add-model" aria-labelledby="ds-add-model-title" onClose={close} onCancel={close}>
      <h2 id="ds-add-model-title">Add model</h2>
      <p className="ds-muted">
        A model pack is a folder with <code>defect-studio.json</code> and its ONNX files (made by <code>defect-studio pack</code> or{' '}
        <code>defect-studio finetune</code>). It is checked completely (files, sizes, sha256s, and every model opened) before it is kept in this
        browser.
      </p>
      <div
        className={`ds-dropzone${dragOver ? ' ds-dragover' : ''}`}
        data-testid="add-model-drop"
        onDragOver={(e) => {
          e.preventDefault();
          e.stopPropagation();
          setDragOver(true);
        }}
        onDragLeave={() => setDragOver(false)}
        onDrop={onDrop}
      >
        <button type="button" disabled={adding} onClick={() => void chooseFolder()}>
          Choose folder
        </button>
        <span className="ds-muted"> or drop the pack folder here</span>
        {/* The folder picker where showDirectoryPicker is missing (and for tests: setInputFiles with a folder). */}
        <input ref={input} type="file" multiple hidden data-testid="add-model-folder-input" onChange={onInput} {...{ webkitdirectory: '' }} />
      </div>
      <form className="ds-row" onSubmit={onUrl}>
        <label htmlFor={urlId}>Pack URL</label>
        <input id={urlId} type="url" placeholder="https://example.com/packs/my-pack/" value={url} onChange={(e) => setUrl(e.target.value)} />
        <button type="submit" disabled={adding || !url.trim()}>
          Add from URL
        </button>
      </form>
      <AddProgressLine />
      {error && (
        <p role="alert" className="ds-error" data-testid="add-model-error" title={error.title}>
          {error.text}
        </p>
      )}
      {notice && (
        <p role="status" data-testid="add-model-notice">
          {notice.text}
        </p>
      )}
      <form method="dialog">
        <button type="submit">Close</button>
      </form>
    </dialog>
  );
}
