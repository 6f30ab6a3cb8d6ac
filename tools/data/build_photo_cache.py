"""Defects rendered on real photographs (training photos only) -> tools/data/cache/photo_<split>.npz.

  /usr/bin/python3 tools/data/build_photo_cache.py --split train --n 6000
  /usr/bin/python3 tools/data/build_photo_cache.py --split clf --n 2400     # the fidelity classifier's own data
  /usr/bin/python3 tools/data/build_photo_cache.py --split train-trimap --n 2400   # -> photo_trimap_train.npz
Needs the photo index (tools/data/photos.py index). Sample i of a split is default_rng([base, i]): a random
training photo (half of the draws pick a material kind first, so rare kinds are seen), a random crop at a
random scale, rotation and flip, a random defect type rendered by photo_defects.render_on_photo; 15% of the
samples put the photo on a plain backdrop (trimap background), as the procedural set does.
Same keys as the procedural cache (ok, defect, mask, obj, family, dtype) plus material and photo.
--split train-trimap (recipe v4): the same photo / crop / backdrop draws, type i % 8, the defect drawn INSIDE a
user-style painted region (trimap_defects.trimap_sample: strokes for scratch / crack / cut / fold, blobs for the
others); mask = the painted region; extra keys changed (the pixels the defect changed, always inside the mask),
region_style, region_scale (< 1: painted more generously than the defect needs).
--redo TYPES --base NAME (train-trimap): a copy of cache NAME with only the samples of the given types rendered
again (same seeds, i % 8 = type; e.g. after a change of one type's sizing), e.g.
  build_photo_cache.py --split train-trimap --n 2400 --procs 1 --redo fold --base photo_trimap_train --name photo_trimap_train_b
asserts that the other samples and every sample's painted region are unchanged.
"""
import argparse, os, sys, time
import numpy as np
from multiprocessing import Pool

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "train"))
import photos as PH  # noqa: E402
import photo_defects as PD  # noqa: E402
import procedural as P  # noqa: E402
import trimap_defects as TD  # noqa: E402
from vocab import PHOTO_FAMILY  # noqa: E402

SEEDS = {"train": 2_000_003, "clf": 6_000_011, "train-trimap": 2_100_007}
NAMES = {"train-trimap": "photo_trimap_train"}
_TR = None


def _init():
    global _TR
    _TR, _ = PH.split()


def one(args):
    split, i = args
    rng = np.random.default_rng([SEEDS[split], i])
    tr = _TR
    if rng.random() < 0.5:
        kinds = sorted({r["material"] for r in tr})
        k = kinds[rng.integers(0, len(kinds))]
        pool = [r for r in tr if r["material"] == k]
    else:
        pool = tr
    rec = pool[rng.integers(0, len(pool))]
    crop = PH.random_crop(rng, PH.load_photo(rec))
    dt = int(rng.integers(0, 8)) if split != "train-trimap" else i % 8
    obj = None
    if rng.random() < 0.15:
        obj = P._object_mask(rng)
        if obj.all():
            obj = None
    if obj is not None:
        bcol = P._hsv(rng, rng.random(), rng.uniform(0, 0.3), rng.uniform(0.05, 0.9))
        back = (np.clip(bcol * (1 + 0.03 * P._noise(rng, 3)[..., None]), 0, 1) * 255 + 0.5).astype(np.uint8)
        crop = np.where(obj[..., None], crop, back)
    mat = rec["material"]
    if split == "train-trimap":
        s = TD.trimap_sample(rng, crop, dt, obj)
        return (s["ok"], s["defect"], s["mask"], s["obj"], PHOTO_FAMILY[mat], dt, mat, rec["id"], s["changed"],
                s["info"]["style"], s["info"]["scale"])
    s = PD.render_on_photo(rng, crop, dt, obj)
    return s["ok"], s["defect"], s["mask"], s["obj"], PHOTO_FAMILY[mat], dt, mat, rec["id"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="train", choices=list(SEEDS))
    ap.add_argument("--n", type=int, default=6000)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(HERE, "cache"))
    ap.add_argument("--name", default=None, help="file name without .npz (default photo_<split>)")
    ap.add_argument("--redo", default=None, help="train-trimap: only these types (comma-separated names) again")
    ap.add_argument("--base", default=None, help="--redo: the cache (name without .npz) the other samples come from")
    a = ap.parse_args()
    t0 = time.time()
    if a.redo:
        return redo(a, t0)
    with Pool(a.procs, initializer=_init) as pool:
        res = pool.map(one, [(a.split, i) for i in range(a.n)], chunksize=16)
    ok, bad, m, o, f, d, mat, pid = list(zip(*res))[:8]
    extra = {}
    if a.split == "train-trimap":
        ch, sty, sc = list(zip(*res))[8:]
        extra = dict(changed=np.stack(ch), region_style=np.array(sty), region_scale=np.array(sc, np.float32))
        assert not (extra["changed"] & ~np.stack(m)).any(), "changed pixels outside the painted region"
    path = os.path.join(a.out, (a.name or NAMES.get(a.split, "photo_" + a.split)) + ".npz")
    np.savez(path, ok=np.stack(ok), defect=np.stack(bad), mask=np.stack(m),
             obj=np.stack(o), family=np.array(f, np.int8), dtype=np.array(d, np.int8), material=np.array(mat),
             photo=np.array(pid), **extra)
    print("photo %s: %d samples in %.1fs -> %s" % (a.split, a.n, time.time() - t0, path))


def redo(a, t0):
    """A copy of cache a.base with the samples of the types a.redo rendered again (same seeds) -> a.name."""
    if a.split != "train-trimap" or not a.base or not a.name or a.name == a.base:
        raise SystemExit("--redo: only for --split train-trimap, with --base and a new --name")
    z = np.load(os.path.join(a.out, a.base + ".npz"))
    d = {k: z[k].copy() for k in z.files}
    types = [P.DEFECTS.index(t) for t in a.redo.split(",")]
    if len(d["ok"]) != a.n:
        raise SystemExit("--redo: %s has %d samples, not --n %d" % (a.base, len(d["ok"]), a.n))
    idx = [i for i in range(a.n) if i % 8 in types]
    with Pool(a.procs, initializer=_init) as pool:
        res = pool.map(one, [(a.split, i) for i in idx], chunksize=16)
    keys = ("ok", "defect", "mask", "obj", "family", "dtype", "material", "photo", "changed", "region_style", "region_scale")
    for i, r in zip(idx, res):
        for k, v in zip(keys, r):
            if k not in ("defect", "changed"):  # same seeds: the photo, crop and painted region are the same draws
                assert np.array_equal(d[k][i], np.asarray(v, d[k].dtype)), "--redo: sample %d's %s changed (the draws before the render moved)" % (i, k)
            d[k][i] = v
    assert not (d["changed"] & ~d["mask"]).any(), "changed pixels outside the painted region"
    path = os.path.join(a.out, a.name + ".npz")
    np.savez(path, **d)
    print("photo %s: %d of %d samples (%s) rendered again in %.1fs -> %s" % (a.split, len(idx), a.n, a.redo,
                                                                           time.time() - t0, path))


if __name__ == "__main__":
    main()
