/** Shown when no image is open: open / drop / paste, or start from a built-in sample of a normal surface. */
import { useEffect, useState } from 'react';
import { generateSample, SAMPLES, type SampleId } from '../editor/samples';
import { openImageDialog, openSample } from './actions';

const THUMB = 96;
const thumbCache = new Map<SampleId, string>();

function thumbnail(id: SampleId): string {
  const hit = thumbCache.get(id);
  if (hit) return hit;
  const img = generateSample(id);
  const full = document.createElement('canvas');
  full.width = img.width;
  full.height = img.height;
  full.getContext('2d')!.putImageData(new ImageData(img.data as Uint8ClampedArray<ArrayBuffer>, img.width, img.height), 0, 0);
  const c = document.createElement('canvas');
  c.width = c.height = THUMB;
  const ctx = c.getContext('2d')!;
  // a 1:2 crop so that the texture scale stays readable
  ctx.drawImage(full, 0, 0, img.width / 2, img.height / 2, 0, 0, THUMB, THUMB);
  const url = c.toDataURL();
  thumbCache.set(id, url);
  return url;
}

export function Welcome({ restoring = false }: { restoring?: boolean }) {
  const [thumbs, setThumbs] = useState<Partial<Record<SampleId, string>>>({});
  useEffect(() => {
    let cancelled = false;
    let i = 0;
    const next = () => {
      if (cancelled || i >= SAMPLES.length) return;
      const id = SAMPLES[i++].id;
      const url = thumbnail(id);
      setThumbs((t) => ({ ...t, [id]: url }));
      setTimeout(next, 0);
    };
    const t = setTimeout(next, 0);
    return () => {
      cancelled = true;
      clearTimeout(t);
    };
  }, []);
  return (
    <div className="ds-welcome" data-testid="welcome">
      <h1>Paint where the defect goes</h1>
      <p>
        <button type="button" className="ds-primary" onClick={() => void openImageDialog()}>
          Browse…
        </button>{' '}
        or drop a PNG, JPEG, WebP or BMP here, or paste one (Ctrl+V).
      </p>
      {restoring && (
        <p className="ds-muted" role="status">
          Looking for your last session…
        </p>
      )}
      <p className="ds-muted">Or start from a sample of a normal surface:</p>
      <ul className="ds-samples" aria-label="Sample images">
        {SAMPLES.map((s) => (
          <li key={s.id}>
            <button type="button" className="ds-sample" onClick={() => openSample(s.id)} aria-label={s.label}>
              {thumbs[s.id] ? <img src={thumbs[s.id]} alt="" width={THUMB} height={THUMB} /> : <span className="ds-thumb-placeholder" />}
              <span>{s.label}</span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
