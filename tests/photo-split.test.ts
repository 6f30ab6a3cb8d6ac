/**
 * The training split of the real-photo index (tools/data/photos.py split, issue 9). A new machine's
 * `photos.py index` holds more photos than the index sessions 2-6 trained and built their classifiers on (pk3
 * archives, all GIMP patterns: 2,844 training photos instead of 547), and every tool draws training photos by
 * position in the split; a committed list (`DS_PHOTO_TRAIN_LIST=tools/data/photo-train-v2a.txt`) gives back the
 * old split, in the list's order, even where the index keeps a listed photo under another package's name (an
 * exact duplicate), and DS_PHOTO_GIMP_UNTILED=1 gives back that index's untiled GIMP patterns. `photos.py neardup` finds an evaluation photo's texture among the training photos when another
 * package holds it recoloured or rotated. Checked on a tiny synthetic package tree (tests/photos/split_check.py). Needs Debian's
 * python3-numpy / python3-pil (skipped without them).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const PY = process.env.DS_PYTHON || '/usr/bin/python3';
const HAS_PY = spawnSync(PY, ['-c', 'import numpy, PIL']).status === 0;

describe.skipIf(!HAS_PY)('photos.py split: the training photos', () => {
  it('is the index minus the evaluation groups, or exactly a committed list in its order', () => {
    const r = spawnSync(PY, ['tests/photos/split_check.py'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const res = JSON.parse(lines[lines.length - 1]);
    // no list: index order, the evaluation photo and its group's variant (evalstoneb) left out, the duplicate dropped
    expect(res.all).toEqual(['brick.png', 'metal.png', 'wood.png', 'copyrot.png', 'Paper/crinkle.pat']);
    expect(res.eval).toEqual(['evalstone.png']);
    // a list: its photos in its order with its materials; a duplicate kept by the index under another name is found
    expect(res.listed).toEqual([['pkga', 'metal.png', 'metal'], ['pkgb', 'crate.png', 'wood'], ['pkga', 'brick.png', 'stone']]);
    expect(res.dup_id_is_wood).toBe(true);
    expect(res.dup_pixels_equal).toBe(true);
    // the environment variable the tools read
    expect(res.env).toEqual(['metal.png', 'crate.png', 'brick.png']);
    // a listed photo of an evaluation group is refused, not trained on
    expect(res.eval_group_refused).toBe(true);
    // a 128-px GIMP pattern: repeated to 384 px by the index; one tile again with DS_PHOTO_GIMP_UNTILED=1 (the index of
    // sessions 2-6: the evaluation's paper photo)
    expect(res.gimp_tiled).toEqual([384, 384, true]);
    expect(res.gimp_untiled).toEqual([128, 128, true]);
  }, 90_000);

  it('finds an evaluation photo\'s texture among the training photos, recoloured and rotated (photos.py neardup)', () => {
    const r = spawnSync(PY, ['tests/photos/split_check.py'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\n').pop() as string);
    expect(res.neardup_best[1]).toBe('evalstone.png');
    expect(res.neardup_best[2]).toBe('copyrot.png');
    expect(res.neardup_best[0]).toBeGreaterThan(0.98);
    expect(res.neardup_unrelated).toBeLessThan(0.5);
  }, 90_000);
});
