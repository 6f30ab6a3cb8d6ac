"""Uncurated side-by-side grid of photo-evaluation runs (tools/train/evaluate_photos.py outputs).

  /usr/bin/python3 tools/train/photo_grid.py --runs v1,v2 --every 4 --out tools/train/samples-photos-v2.jpg
One row per evaluation photo (photos 0, every, 2*every, ...: a rule, not a choice by eye), both of its cases
(their only seed): the input with the defect outlined in red, then each run's output, as 96x96 crops around
the defect shown at `--tile` px. Labels: material and prompt on the input tile, run name on the first row.
"""
import argparse, os
import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "runs", "photo-eval")


def crop_box(m, crop):
    ys, xs = np.nonzero(m)
    S = m.shape[0]
    cy = int(np.clip((ys.min() + ys.max()) // 2 - crop // 2, 0, S - crop))
    cx = int(np.clip((xs.min() + xs.max()) // 2 - crop // 2, 0, S - crop))
    return slice(cy, cy + crop), slice(cx, cx + crop)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", required=True, help="comma-separated run names under tools/train/runs/photo-eval/")
    ap.add_argument("--every", type=int, default=4)
    ap.add_argument("--crop", type=int, default=96)
    ap.add_argument("--tile", type=int, default=112)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quality", type=int, default=82)
    a = ap.parse_args()
    runs = a.runs.split(",")
    base = os.path.join(ROOT, runs[0])
    cases = [l.rstrip("\n").split("\t") for l in open(os.path.join(base, "cases.tsv")) if l.strip()]
    mats = {}
    by_photo = {}
    for inp, tri, out, prompt, seed in cases:
        i = int(os.path.basename(inp)[:2])
        by_photo.setdefault(i, []).append((tri, os.path.basename(out), prompt))
    metrics = os.path.join(base, "metrics.json")
    if os.path.exists(metrics):
        import json
        for c in json.load(open(metrics))["cases"]:
            mats[c["photo"]] = c["material"]
    t = a.tile
    rows = []
    for i in sorted(by_photo)[::a.every]:
        inp = np.asarray(Image.open(os.path.join(base, "inputs", "%02d.png" % i)).convert("RGB"))
        tiles, labels = [], []
        for tri, outname, prompt in by_photo[i]:
            m = np.asarray(Image.open(tri)) > 200
            sl = crop_box(m, a.crop)
            edge = m & ~ndimage.binary_erosion(m)
            marked = inp.copy()
            marked[edge] = (255, 0, 0)
            tiles.append(marked[sl]); labels.append("%s: %s" % (mats.get(i, ""), prompt))
            for r in runs:
                tiles.append(np.asarray(Image.open(os.path.join(ROOT, r, "outputs", outname)).convert("RGB"))[sl])
                labels.append(r if not rows else "")
        im = Image.fromarray(np.concatenate([np.asarray(Image.fromarray(x).resize((t, t), Image.NEAREST)) for x in tiles], 1))
        dr = ImageDraw.Draw(im)
        for k, lab in enumerate(labels):
            if lab:  # the input's label at the top, the run names at the bottom of the first row
                y = 0 if k % (len(runs) + 1) == 0 else t - 12
                dr.rectangle([k * t, y, k * t + 6 * len(lab) + 3, y + 11], fill=(0, 0, 0))
                dr.text((k * t + 2, y), lab, fill=(255, 255, 0))
        rows.append(np.asarray(im))
        rows.append(np.full((2, im.width, 3), 255, np.uint8))
    Image.fromarray(np.concatenate(rows[:-1], 0)).save(a.out, quality=a.quality)
    print("wrote", a.out, os.path.getsize(a.out), "bytes,", len(rows) // 2, "photos")


if __name__ == "__main__":
    main()
