/**
 * Defects rendered on photographs for training (tools/data/photo_defects.py, issue 9): its self-check renders
 * every type on synthetic photos (procedural surfaces and a red painted plate, so no photo cache is needed) and
 * reports exactness (output == photo outside the mask, mask == the changed pixels, deterministic, inside the
 * object) and shape figures; this test holds the renderers to what MODEL.md says they draw. Needs Debian's
 * python3-scipy (skipped without it, like the fine-tuning tests without PyTorch).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const PY = process.env.DS_PYTHON || '/usr/bin/python3';
const HAS_SCIPY = spawnSync(PY, ['-c', 'import scipy, numpy, PIL']).status === 0;

interface TypeCheck {
  n: number; outside_equal: number; mask_is_changed: number; deterministic: number; inside_obj: number; min_px: number;
  strength: number; largest_component: number; darker: number; brighter: number; darkest_decile_ratio: number;
  darkest_decile_chroma: number; fill: number; thickness: number; red_kept: number;
}

describe.skipIf(!HAS_SCIPY)('photo_defects.py: defects rendered on photos', () => {
  let res: Record<string, TypeCheck> = {};
  it('is exact for every type: photo bytes outside the mask, mask = changed pixels, deterministic', () => {
    const r = spawnSync(PY, ['tools/data/photo_defects.py', 'check'], { encoding: 'utf8', timeout: 280_000 });
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines[lines.length - 1]).toBe('photo_defects check ok');
    expect(r.status).toBe(0);
    res = JSON.parse(lines[0]);
    expect(Object.keys(res)).toEqual(['scratch', 'crack', 'hole', 'stain', 'dent', 'cut', 'color', 'fold']);
    for (const [type, c] of Object.entries(res)) {
      expect([type, c.outside_equal, c.mask_is_changed, c.deterministic, c.inside_obj]).toEqual([type, c.n, c.n, c.n, c.n]);
      expect(c.min_px, type).toBeGreaterThanOrEqual(12);
    }
  }, 300_000);

  it('draws each geometric defect as that defect, in the photo\'s colour', () => {
    const { crack, hole, dent, cut, fold } = res;
    // crack: one thin connected fissure, a dark core and a lit lip
    expect(crack.largest_component).toBeGreaterThan(0.95);
    expect(crack.thickness).toBeLessThan(8);
    expect(crack.darker).toBeGreaterThan(0.25);
    expect(crack.brighter).toBeGreaterThan(0.05);
    expect(crack.darkest_decile_ratio).toBeLessThan(0.35);
    // hole: a filled blob, dark inside but not flat black, a lit wall
    expect(hole.fill).toBeGreaterThan(0.6);
    expect(hole.darkest_decile_ratio).toBeGreaterThan(0.03);
    expect(hole.darkest_decile_ratio).toBeLessThan(0.3);
    expect(hole.brighter).toBeGreaterThan(0.05);
    // dent: a lit depression, a bright and a dark flank, nothing black
    expect(dent.brighter).toBeGreaterThan(0.1);
    expect(dent.darker).toBeGreaterThan(0.1);
    expect(dent.darkest_decile_ratio).toBeGreaterThan(0.3);
    expect(dent.strength).toBeGreaterThan(15);
    // fold: a light / dark pair along a line
    expect(fold.brighter).toBeGreaterThan(0.1);
    expect(fold.darker).toBeGreaterThan(0.1);
    expect(fold.darkest_decile_ratio).toBeGreaterThan(0.3);
    // cut: a connected slit with a near-black gap
    expect(cut.largest_component).toBeGreaterThan(0.95);
    expect(cut.darkest_decile_ratio).toBeLessThan(0.3);
    // geometric defects keep the material's colour (a red plate stays red everywhere in the defect)
    for (const t of ['crack', 'hole', 'dent', 'cut', 'fold']) expect(res[t].red_kept, t).toBeGreaterThan(0.97);
    // a stain soaks or tints the material: darker, never brighter, its colour kept (a red plate stays red)
    expect(res.stain.darker).toBeGreaterThan(0.5);
    expect(res.stain.brighter).toBeLessThan(0.02);
    expect(res.stain.red_kept).toBeGreaterThan(0.9);
    // a colour spot is paint: it replaces the colour, brighter or darker
    expect(res.color.red_kept).toBeLessThan(0.5);
    expect(res.color.brighter).toBeGreaterThan(0.2);
  });
});
