"""Where does the seam come from? Per case of an evaluate_photos.py run: the seam ratio of the generation beside the
seam ratio of the REFERENCE render (photo_defects via trimap_defects.render_in_trimap, the same type drawn in the same
trimap: what a defect of that type legitimately puts at the edge), and the seam split into its parts.

  /usr/bin/python3 tools/train/seam_diag.py RUN_DIR [--dump DUMP_DIR] [--json OUT.json] [--crops DIR]

RUN_DIR: tools/train/runs/photo-eval/<name> or a tuning set's runs/photo-tune/<name> (cases.tsv, inputs/,
trimaps/, outputs/). Per case:
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
    core = d & ndimage.binary_erosion(d, iterations=2)
    diff = Lo - Li
    return {"band_in": r(inner), "band_out": r(outer), "step": float((s_out.mean() + 1e-6) / (s_in.mean() + 1e-6)),
            "dc_edge": float(diff[inner].mean()), "absdc_edge": float(np.abs(diff[inner]).mean()),
            "dc_core": float(diff[core].mean()) if core.any() else None, "in_grad_edge": float(gi[band].mean())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--json")
    ap.add_argument("--crops")
    ap.add_argument("--dump", help="seam_dump.ts's folder for this run: adds the seam of the adapted decode itself, not "
                                   "pasted (decode_seam) and of the plain paste of it (paste_seam), and the decode's "
                                   "|difference| from the input in the 3 px outside the defect (decode_out3)")
    a = ap.parse_args()
    # the run's own case list (evaluate_photos.py: the evaluation set, or a --case-set train tuning set under
    # runs/photo-tune/): the trimap of case (i, c) was drawn with rng [EVAL_SEED, i, c], of tuning case j with
    # [TRAIN_SEED, j]; the reference render continues that rng, as evaluate_photos.trimap_renders does
    tune = os.path.basename(os.path.dirname(os.path.abspath(a.run))) == "photo-tune"
    kind_of = {v: k for k, v in EP.PROMPT.items()}
    RM = EP.load_metrics()
    rows = []
    for line in open(os.path.join(a.run, "cases.tsv")):
        if not line.strip():
            continue
        inp, trp, op, prompt = line.rstrip("\n").split("\t")[:4]
        i, c = (int(v) for v in os.path.basename(op)[:-4].split("-"))
        k = kind_of[prompt]
        img = np.asarray(Image.open(inp).convert("RGB"))
        rng = np.random.default_rng([EP.TRAIN_SEED, i] if tune else [EP.EVAL_SEED, i, c])
        m, path, centre = EP.trimap_geom(rng, k)
        tri = np.asarray(Image.open(trp)) > 200
        assert (tri == m).all()
        if not os.path.exists(op):
            continue
        out = np.asarray(Image.open(op).convert("RGB")).astype(float)
        ref = render_in_trimap(rng, img, P.DEFECTS.index(k), m, path, centre).astype(float)
        x = img.astype(float)
        row = {"photo": i, "case": c, "kind": k}
        row["seam_out"] = RM.measure(inp, trp, op)[1]
        po, pr = parts(x, m, out), parts(x, m, ref)
        band = ndimage.binary_dilation(m, iterations=2) & ~ndimage.binary_erosion(m, iterations=2)
        gi = grad(x.mean(-1))[band].mean()
        row["seam_ref"] = float((grad(ref.mean(-1))[band].mean() + 1e-6) / (gi + 1e-6))
        row.update({k2: v for k2, v in po.items()})
        row.update({k2 + "_ref": v for k2, v in pr.items() if k2 in ("band_in", "band_out", "step", "dc_edge", "absdc_edge")})
        if a.dump:
            name = os.path.basename(op)[:-4]
            g = json.load(open(os.path.join(a.dump, name + ".json")))["gains"] or [1, 1, 1]
            xa = np.fromfile(os.path.join(a.dump, name + ".xAda.f32"), np.float32).reshape(3, 256, 256)
            xa = np.clip(np.floor(((xa + 1) / 2 / np.array(g)[:, None, None]) * 255 + 0.5), 0, 255).transpose(1, 2, 0)  # as the paste writes it
            band = ndimage.binary_dilation(m, iterations=2) & ~ndimage.binary_erosion(m, iterations=2)
            gi = grad(x.mean(-1))[band].mean() + 1e-6
            row["decode_seam"] = float((grad(xa.mean(-1))[band].mean() + 1e-6) / gi)
            row["paste_seam"] = float((grad(np.where(m[..., None], xa, x).mean(-1))[band].mean() + 1e-6) / gi)
            out3 = ndimage.binary_dilation(m, iterations=3) & ~m
            row["decode_out3"] = float(np.abs(xa - x)[out3].mean())
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
            "seam_out", "seam_ref", *(("decode_seam", "paste_seam", "decode_out3") if a.dump else ()), "band_in", "band_out", "step", "step_ref", "dc_edge", "absdc_edge", "absdc_edge_ref", "mad", "mad_ref", "band_in_ref", "band_out_ref")}}
        summ[k]["frac_out_gt_ref"] = round(float(np.mean([x["seam_out"] > x["seam_ref"] for x in rs])), 2)
    for k, v in summ.items():
        print(k, json.dumps(v))
    if a.json:
        json.dump({"summary": summ, "cases": rows}, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
