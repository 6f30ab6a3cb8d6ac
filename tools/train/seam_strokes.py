"""Thin strokes before / after a seam-blend change, side by side (session 7, the stroke-aware seam band).

    /usr/bin/python3 tools/train/seam_strokes.py RUN_A RUN_B OUT.png [--kinds scratch,crack,cut] [--n 12]

RUN_A, RUN_B: run folders of evaluate_photos.py on the same cases (cases.tsv, inputs, trimaps, outputs). Writes a grid
of the first N cases whose prompt is one of the kinds: per row the input, A's output, B's output and |B - A| x4 (grey
= no change), cropped around the defect (its bounding box + 12 px) and scaled x3 (nearest), with the trimap's edge
drawn in the input. Prints per case and overall the strength (mean |output - input| over the defect, levels) of A
and B, and the contrast in the stroke's core (the defect pixels 2 px or more from its edge).
"""
import argparse, os, sys
import numpy as np
from PIL import Image, ImageDraw
from scipy import ndimage


def load(p):
    return np.asarray(Image.open(p).convert("RGB")).astype(np.float64)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a"); ap.add_argument("b"); ap.add_argument("out")
    ap.add_argument("--kinds", default="scratch,crack,cut")
    ap.add_argument("--n", type=int, default=12)
    a = ap.parse_args()
    kinds = a.kinds.split(",")
    rows, stats = [], []
    for line in open(os.path.join(a.a, "cases.tsv")):
        ip, tp, op, prompt, seed = line.rstrip("\n").split("\t")[:5]
        kind = prompt.replace("a ", "", 1).strip()
        if kind not in kinds:
            continue
        name = os.path.basename(op)
        ob = os.path.join(a.b, "outputs", name)
        oa = os.path.join(a.a, "outputs", name)
        if not (os.path.exists(oa) and os.path.exists(ob)):
            continue
        x = load(ip); ya = load(oa); yb = load(ob)
        tri = np.asarray(Image.open(tp))
        if tri.ndim == 3:
            tri = tri[..., 0]
        d = tri == tri.max() if tri.max() > 2 else tri == 2  # the defect class (trimap PNG: 2 or its brightest value)
        depth = ndimage.distance_transform_cdt(d, metric="chessboard")
        core = depth >= 2
        sa = float(np.abs(ya - x)[d].mean()); sb = float(np.abs(yb - x)[d].mean())
        ca = float(np.abs(ya - x)[core].mean()) if core.any() else float("nan")
        cb = float(np.abs(yb - x)[core].mean()) if core.any() else float("nan")
        stats.append((name, kind, sa, sb, ca, cb))
        if len(rows) < a.n:
            ys, xs = np.nonzero(d)
            y0, y1 = max(0, ys.min() - 12), min(d.shape[0], ys.max() + 13)
            x0, x1 = max(0, xs.min() - 12), min(d.shape[1], xs.max() + 13)
            edge = d & ~ndimage.binary_erosion(d)
            xi = x.copy(); xi[edge] = [255, 0, 255]
            diff = np.clip(128 + 4 * (yb - ya), 0, 255)
            tiles = [t[y0:y1, x0:x1] for t in (xi, ya, yb, diff)]
            h = max(t.shape[0] for t in tiles)
            tiles = [np.pad(t, ((0, h - t.shape[0]), (0, 2), (0, 0)), constant_values=255) for t in tiles]
            row = np.concatenate(tiles, 1).astype(np.uint8)
            row = np.kron(row, np.ones((3, 3, 1), np.uint8))
            im = Image.fromarray(row)
            ImageDraw.Draw(im).text((3, 3), "%s %s  A %.1f B %.1f  core A %.1f B %.1f" % (name, kind, sa, sb, ca, cb), fill=(255, 255, 0))
            rows.append(np.asarray(im))
    if not rows:
        sys.exit("no cases of kinds %s" % kinds)
    w = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 4), (0, w - r.shape[1]), (0, 0)), constant_values=0) for r in rows]
    Image.fromarray(np.concatenate(rows, 0)).save(a.out)
    for s in stats:
        print("%s %-8s strength A %.1f B %.1f  core A %.1f B %.1f" % s)
    for k in kinds + ["all"]:
        ss = [s for s in stats if k == "all" or s[1] == k]
        if ss:
            m = np.nanmean(np.array([s[2:] for s in ss]), 0)
            print("%-8s n %d  strength A %.2f B %.2f (%+.1f%%)  core A %.2f B %.2f" % (k, len(ss), m[0], m[1], 100 * (m[1] / m[0] - 1), m[2], m[3]))


if __name__ == "__main__":
    main()
