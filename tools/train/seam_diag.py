"""Where does the seam come from? Per case of an evaluate_photos.py run: the seam ratio of the generation beside the
seam ratio of the REFERENCE render (photo_defects via trimap_defects.render_in_trimap, the same type drawn in the same
trimap: what a defect of that type legitimately puts at the edge), and the seam split into its parts.

  /usr/bin/python3 tools/train/seam_diag.py RUN_DIR [--photos eval|train] [--json OUT.json] [--crops DIR]

RUN_DIR: tools/train/runs/photo-eval/<name> (inputs/, trimaps/, outputs/, cases.tsv). Per case:
- seam_out / seam_ref: realism_metrics.measure's seam ratio of the output / of the reference render;
- band_in / band_out: the band's gradient (output / input) on its inner half (defect pixels within 2 px of the
  edge) and outer half (input pixels within 2 px: their gradient reaches into the defect);
- step: mean |L(out, inner edge pixel) - L(in, its outside 4-neighbour)| over edge pairs, over the same for the input
  (1 = no step); step_ref the same for the reference render;
- dc_edge: mean signed (L_out - L_in) over the inner band (a low-frequency offset at the edge), in 8-bit levels;
  dc_core: the same deeper inside (> 2 px from the edge); hf_in: inner-band gradient of (out - lowpass(out - in)).
"""
import argparse, json, math, os, sys
import numpy as np
from PIL import Image
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "data"))
import evaluate_photos as EP  # noqa: E402
import photos as PH  # noqa: E402
import procedural as P  # noqa: E402
from trimap_defects import render_in_trimap  # noqa: E402


def grad(L):
    gy, gx = np.gradient(L)
    return np.hypot(gx, gy)


def parts(inp, tri_m, out):
    d = tri_m
    Li, Lo = inp.mean(-1), out.mean(-1)
    band = ndimage.binary_dilation(d, iterations=2) & ~ndimage.binary_erosion(d, iterations=2)
    inner, outer = band & d, band & ~d
    gi, go = grad(Li), grad(Lo)
    r = lambda m: float((go[m].mean() + 1e-6) / (gi[m].mean() + 1e-6))
    # 4-neighbour edge pairs (p inside, q outside)
    s_out, s_in = [], []
    for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        q = np.roll(d, (dy, dx), (0, 1))  # q[y,x] = d[y-dy, x-dx]: pixel (y,x) has an inside neighbour at (y-dy,x-dx)
        pair = q & ~d
        ys, xs = np.nonzero(pair)
        py, px = ys - dy, xs - dx
        ok = (py >= 0) & (py < d.shape[0]) & (px >= 0) & (px < d.shape[1])
        ys, xs, py, px = ys[ok], xs[ok], py[ok], px[ok]
        s_out.append(np.abs(Lo[py, px] - Li[ys, xs]))
        s_in.append(np.abs(Li[py, px] - Li[ys, xs]))
    s_out, s_in = np.concatenate(s_out), np.concatenate(s_in)
    core = d & ~ndimage.binary_erosion(d, iterations=2) if False else d & ndimage.binary_erosion(d, iterations=2)
    diff = Lo - Li
    return {"band_in": r(inner), "band_out": r(outer), "step": float((s_out.mean() + 1e-6) / (s_in.mean() + 1e-6)),
            "dc_edge": float(diff[inner].mean()), "absdc_edge": float(np.abs(diff[inner]).mean()),
            "dc_core": float(diff[core].mean()) if core.any() else None, "in_grad_edge": float(gi[band].mean())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--json")
    ap.add_argument("--crops")
    ap.add_argument("--photos", choices=("eval", "train"), default="eval", help="the run's photo set (evaluate_photos --photos)")
    a = ap.parse_args()
    ev = EP.eval_photos(a.photos)
    seed0 = EP.EVAL_SEED if a.photos == "eval" else EP.TRAIN_PICK_SEED
    RM = EP.load_metrics()
    rows = []
    for i, r in enumerate(ev):
        kinds = [EP.KEEP_COLOUR[i % 3], EP.OTHER[i % len(EP.OTHER)]]
        img = np.asarray(Image.open(os.path.join(a.run, "inputs", "%02d.png" % i)).convert("RGB"))
        for c, k in enumerate(kinds):
            rng = np.random.default_rng([seed0, i, c])
            m, path, centre = EP.trimap_geom(rng, k)
            tri = np.asarray(Image.open(os.path.join(a.run, "trimaps", "%02d-%d.png" % (i, c)))) > 200
            assert (tri == m).all()
            op = os.path.join(a.run, "outputs", "%02d-%d.png" % (i, c))
            if not os.path.exists(op):
                continue
            out = np.asarray(Image.open(op).convert("RGB")).astype(float)
            ref = render_in_trimap(rng, img, P.DEFECTS.index(k), m, path, centre).astype(float)
            x = img.astype(float)
            row = {"photo": i, "case": c, "kind": k, "material": r["material"]}
            row["seam_out"] = RM.measure(os.path.join(a.run, "inputs", "%02d.png" % i), os.path.join(a.run, "trimaps", "%02d-%d.png" % (i, c)), op)[1]
            po, pr = parts(x, m, out), parts(x, m, ref)
            band = ndimage.binary_dilation(m, iterations=2) & ~ndimage.binary_erosion(m, iterations=2)
            gi = grad(x.mean(-1))[band].mean()
            row["seam_ref"] = float((grad(ref.mean(-1))[band].mean() + 1e-6) / (gi + 1e-6))
            row.update({k2: v for k2, v in po.items()})
            row.update({k2 + "_ref": v for k2, v in pr.items() if k2 in ("band_in", "band_out", "step", "dc_edge", "absdc_edge")})
            row["mad"] = float(np.abs(out - x)[m].mean())
            row["mad_ref"] = float(np.abs(ref - x)[m].mean())
            rows.append(row)
            if a.crops:
                os.makedirs(a.crops, exist_ok=True)
                ys, xs = np.nonzero(m)
                y0, y1 = max(ys.min() - 12, 0), min(ys.max() + 13, 256)
                x0, x1 = max(xs.min() - 12, 0), min(xs.max() + 13, 256)
                edge = (ndimage.binary_dilation(m) & ~m)
                tiles = []
                for im in (x, out, ref):
                    t = im[y0:y1, x0:x1].astype(np.uint8)
                    tiles.append(np.asarray(Image.fromarray(t).resize(((x1 - x0) * 4, (y1 - y0) * 4), Image.NEAREST)))
                ov = x.copy(); ov[edge] = [255, 0, 255]
                tiles.append(np.asarray(Image.fromarray(ov[y0:y1, x0:x1].astype(np.uint8)).resize(((x1 - x0) * 4, (y1 - y0) * 4), Image.NEAREST)))
                Image.fromarray(np.concatenate(tiles, 1)).save(os.path.join(a.crops, "%02d-%d-%s-%.2f.png" % (i, c, k, row["seam_out"])))
    med = lambda key, rs: float(np.median([x[key] for x in rs]))
    summ = {}
    for k in ["all"] + list(EP.PROMPT):
        rs = rows if k == "all" else [x for x in rows if x["kind"] == k]
        if not rs:
            continue
        summ[k] = {"n": len(rs), **{key: round(med(key, rs), 3) for key in (
            "seam_out", "seam_ref", "band_in", "band_out", "step", "step_ref", "dc_edge", "absdc_edge", "absdc_edge_ref", "mad", "mad_ref", "band_in_ref", "band_out_ref")}}
        summ[k]["frac_out_gt_ref"] = round(float(np.mean([x["seam_out"] > x["seam_ref"] for x in rs])), 2)
    for k, v in summ.items():
        print(k, json.dumps(v))
    if a.json:
        json.dump({"summary": summ, "cases": rows}, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
