"""Checks the instrument of issue 9's fidelity measure: the defect-type classifier of evaluate_photos.py.

  /usr/bin/python3 tools/train/check_clf.py --clf tools/train/runs/clf-photo.pt --out runs/clf-check-natural.json
  /usr/bin/python3 tools/train/check_clf.py --build-trimap 3200      # tools/data/cache/photo_clf_trimap.npz
  /usr/bin/python3 tools/train/check_clf.py --build-trimap 3200 --trimap-cache clf3/photo_clf_trimap.npz
  /usr/bin/python3 tools/train/check_clf.py --train runs/clf-photo-trimap.pt \
      --data photo_train.npz,photo_clf_trimap.npz                   # a classifier (names under tools/data/cache/)
  /usr/bin/python3 tools/train/check_clf.py --build-none 600 --none-cache clf4/photo_clf_none.npz   # the "none" class

For one classifier it reports, per defect type, accuracy and the confusion matrix (rows = true type) on
 (a) "natural": each of the 8 types rendered by photo_defects on each of the 62 evaluation photos with its own
     support as the mask (the classifier's training condition; rng [EVAL_SEED + 1, photo, type]);
 (b) "in trimap": each type rendered along a fresh evaluation-style trimap of its shape (evaluate_photos
     .render_in_trimap: strokes follow the 3-5 px polyline, blobs sit in the ellipse; clipped to it; mask channel
     = the trimap), i.e. a perfect generation of that type in the evaluation's own condition (rng
     [EVAL_SEED + 2, photo, type]);
 (c) "mask only": the 124 evaluation trimaps with NO defect drawn (output = input): what the classifier says
     from the trimap's shape alone;
 (d) "reference": each of the 124 evaluation cases' prompted type rendered inside that case's own trimap
     (rng [EVAL_SEED + 3, photo, case]): the classifier on it, and its strength (mean |render - input| inside
     the trimap, 8-bit levels), the strength evaluate_photos.py reports for a generation, per type.
--build-trimap N renders N samples of (b)'s kind on TRAINING photos (random crop as build_photo_cache.py,
type i % 8, rng [TRIMAP_SEED, i]); --train fits evaluate.Clf on the listed caches (evaluate_photos.train_clf).
--build-none N writes N samples of a 9th class "none" (label evaluate_photos.NONE) on TRAINING photos: an
evaluation-style trimap of type i % 8's shape with NOTHING drawn in it; in every second sample (odd i) the region
holds the pack's VAE reconstruction of the crop instead of the crop (what a generator that draws nothing leaves
there: --vae-pack's VAE through its context normalisation), rng [NONE_SEED, i]. A classifier trained with such a
cache has 9 outputs; for it the report adds (e) "mask_only_vae": the 124 evaluation trimaps holding the VAE
reconstruction, and the rate at which (c) and (e) read "none".
"""
import argparse, json, os, sys, time
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "data"))
import evaluate_photos as E  # noqa: E402  (sets the torch threads from DS_THREADS)
import photos as PH  # noqa: E402
import photo_defects as PD  # noqa: E402
import procedural as P  # noqa: E402

CACHE = os.path.join(HERE, "..", "data", "cache")
TRIMAP_SEED = 6_100_019
NONE_SEED = 6_100_043


def report(pred, true, n=8):
    """n = the classifier's classes (8, or 9 with "none"): rows = the 8 true types, columns = the n predictions."""
    conf = np.zeros((8, n), int)
    for t, p in zip(true, pred):
        conf[t, p] += 1
    r = {"accuracy": round(float((pred == true).mean()), 3), "samples": int(len(true)),
         "per_type": {P.DEFECTS[t]: round(float(conf[t, t] / max(conf[t].sum(), 1)), 3) for t in range(8)},
         "confusion_rows_true_cols_predicted": conf.tolist()}
    if n > 8:
        r["none_rate"] = round(float((pred == E.NONE).mean()), 3)
    return r


def check(clf_path, vae_pack=None):
    net = E.load_clf(clf_path)
    n = net.h.out_features
    _, ev = PH.split()
    imgs = [PH.eval_crop(PH.load_photo(r)) for r in ev]
    out = {"classifier": os.path.relpath(clf_path, os.path.join(HERE, "..", "..")), "labels": E.LABELS[:n]}
    bads, ms, ts = [], [], []
    for i, img in enumerate(imgs):
        for t in range(8):
            s = PD.render_on_photo(np.random.default_rng([E.EVAL_SEED + 1, i, t]), img, t)
            bads.append(s["defect"]); ms.append(s["mask"]); ts.append(t)
    oks = np.stack([img for img in imgs for _ in range(8)])
    out["natural"] = report(E.predict(net, np.stack(bads), oks, np.stack(ms)), np.array(ts), n)
    b, o, m, t = E.trimap_renders(imgs, E.EVAL_SEED + 2, lambda k: range(8))
    out["in_trimap"] = report(E.predict(net, b, o, m), t, n)
    ms, ts = [], []
    for i in range(len(ev)):
        for c, k in enumerate([E.KEEP_COLOUR[i % 3], E.OTHER[i % len(E.OTHER)]]):
            ms.append(E.make_trimap(np.random.default_rng([E.EVAL_SEED, i, c]), k) > 200); ts.append(P.DEFECTS.index(k))
    oks = np.stack([imgs[i] for i in range(len(ev)) for _ in range(2)])
    out["mask_only"] = report(E.predict(net, oks, oks, np.stack(ms)), np.array(ts), n)
    if n > 8 and vae_pack:
        vae, norm = E.load_vae(vae_pack)
        ms0 = np.stack(ms)
        rec = np.concatenate([E.vae_reconstruct(vae, norm, oks[j:j + 8], ms0[j:j + 8]) for j in range(0, len(oks), 8)])
        empty = np.where(ms0[..., None], rec, oks)
        out["mask_only_vae"] = report(E.predict(net, empty, oks, ms0), np.array(ts), n)
        out["mask_only_vae"]["vae_pack"] = vae_pack
        out["mask_only_vae"]["strength"] = round(float(np.mean([np.abs(e.astype(np.int16) - o)[m].mean() for e, o, m in zip(empty, oks, ms0)])), 2)
    bads, ms, ts = [], [], []
    for i in range(len(ev)):
        for c, k in enumerate([E.KEEP_COLOUR[i % 3], E.OTHER[i % len(E.OTHER)]]):
            m, path, centre = E.trimap_geom(np.random.default_rng([E.EVAL_SEED, i, c]), k)
            t = P.DEFECTS.index(k)
            bads.append(E.render_in_trimap(np.random.default_rng([E.EVAL_SEED + 3, i, c]), imgs[i], t, m, path, centre))
            ms.append(m); ts.append(t)
    bads, ms, ts = np.stack(bads), np.stack(ms), np.array(ts)
    out["reference"] = report(E.predict(net, bads, oks, ms), ts, n)
    st = np.array([np.abs(b.astype(np.int16) - o)[m].mean() for b, o, m in zip(bads, oks, ms)])
    out["reference"]["strength"] = round(float(st.mean()), 2)
    out["reference"]["strength_per_type"] = {P.DEFECTS[t]: round(float(st[ts == t].mean()), 2) for t in sorted(set(ts.tolist()))}
    return out


def build_trimap(n, path):
    tr, _ = PH.split()
    t0 = time.time()
    bads, oks, ms, ts = [], [], [], []
    for i in range(n):
        rng = np.random.default_rng([TRIMAP_SEED, i])
        rec = tr[rng.integers(0, len(tr))]
        img = PH.random_crop(rng, PH.load_photo(rec))
        t = i % 8
        m, pth, ctr = E.trimap_geom(rng, P.DEFECTS[t])
        bads.append(E.render_in_trimap(rng, img, t, m, pth, ctr)); oks.append(img); ms.append(m); ts.append(t)
        if (i + 1) % 400 == 0:
            print("%d/%d %.0fs" % (i + 1, n, time.time() - t0), flush=True)
    np.savez(path, defect=np.stack(bads), ok=np.stack(oks), mask=np.stack(ms), dtype=np.array(ts, np.int8))
    print("wrote", path, n, "samples in %.0fs" % (time.time() - t0))


def build_none(n, path, vae_pack):
    tr, _ = PH.split()
    vae, norm = E.load_vae(vae_pack)
    t0 = time.time()
    bads, oks, ms = [], [], []
    for i in range(n):
        rng = np.random.default_rng([NONE_SEED, i])
        rec = tr[rng.integers(0, len(tr))]
        img = PH.random_crop(rng, PH.load_photo(rec))
        m, _, _ = E.trimap_geom(rng, P.DEFECTS[i % 8])
        bad = img
        if i % 2:
            bad = np.where(m[..., None], E.vae_reconstruct(vae, norm, img[None], m[None])[0], img)
        bads.append(bad); oks.append(img); ms.append(m)
        if (i + 1) % 100 == 0:
            print("%d/%d %.0fs" % (i + 1, n, time.time() - t0), flush=True)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.savez(path, defect=np.stack(bads), ok=np.stack(oks), mask=np.stack(ms), dtype=np.full(n, E.NONE, np.int8))
    print("wrote", path, n, "samples in %.0fs" % (time.time() - t0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clf", default=None, help="report on this classifier")
    ap.add_argument("--out", default=None, help="JSON report (default: print only)")
    ap.add_argument("--build-trimap", type=int, default=0)
    ap.add_argument("--trimap-cache", default="photo_clf_trimap.npz",
                    help="with --build-trimap: the file written, under tools/data/cache/")
    ap.add_argument("--train", default=None, help="fit a classifier to this path")
    ap.add_argument("--data", default="photo_train.npz", help="with --train: comma-separated caches under tools/data/cache/")
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0, help="with --train: torch's and the flips' seed (0 = MODEL.md's classifiers)")
    ap.add_argument("--build-none", type=int, default=0, help="N samples of the 'none' class (nothing drawn in a trimap)")
    ap.add_argument("--none-cache", default="clf4/photo_clf_none.npz", help="with --build-none: the file written, under tools/data/cache/")
    ap.add_argument("--vae-pack", default=os.path.join(HERE, "..", "..", "public", "models", "ds-surface-v1"),
                    help="the VAE whose reconstruction fills half of the 'none' samples and (e)'s trimaps")
    a = ap.parse_args()
    if a.build_trimap:
        build_trimap(a.build_trimap, os.path.join(CACHE, a.trimap_cache))
    if a.build_none:
        build_none(a.build_none, os.path.join(CACHE, a.none_cache), a.vae_pack)
    if a.train:
        E.train_clf(a.train, a.epochs, [os.path.join(CACHE, d) for d in a.data.split(",")], a.seed)
    if a.clf:
        res = check(a.clf, a.vae_pack)
        if a.out:
            json.dump(res, open(a.out, "w"), indent=1)
        for part in ("natural", "in_trimap", "mask_only", "mask_only_vae", "reference"):
            if part not in res:
                continue
            r = res[part]
            print("%s: %.1f%% of %d;" % (part, 100 * r["accuracy"], r["samples"]),
                  " ".join("%s %.0f%%" % (k, 100 * v) for k, v in r["per_type"].items()),
                  ("; read as none %.1f%%" % (100 * r["none_rate"])) if "none_rate" in r else "")
            print("  true \\ predicted " + " ".join("%6s" % d[:6] for d in res["labels"]))
            for t, row in enumerate(r["confusion_rows_true_cols_predicted"]):
                print("  %-17s " % P.DEFECTS[t] + " ".join("%6d" % v for v in row))
        print("reference strength %.1f levels;" % res["reference"]["strength"],
              " ".join("%s %.1f" % kv for kv in res["reference"]["strength_per_type"].items()))


if __name__ == "__main__":
    main()
