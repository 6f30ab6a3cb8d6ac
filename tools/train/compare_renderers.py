"""Defects on photos, one renderer against another (MODEL.md "Defects on photos"): for a renderer file (default
tools/data/photo_defects.py; an older one with `git show REV:tools/data/photo_defects.py > /tmp/pd_old.py`):

  /usr/bin/python3 tools/train/compare_renderers.py --renderer /tmp/pd_old.py --n 1200 --name old
  /usr/bin/python3 tools/train/compare_renderers.py --n 1200 --name new

1. renders build_photo_cache.py's first N training samples (same seeds: same photos, crops and types) with it;
2. strength: mean |defect - photo| inside the mask over the first 400 (and the mean of the brightest quarter
   of the mask's pixels, max over channels), per type;
3. trains evaluate_photos.fit_clf (6 epochs, seed 0) on the N samples and scores it on the eight types rendered
   by the same renderer on each evaluation photo (seeds [evaluate_photos.EVAL_SEED + 1, photo, type]),
   per type. Writes tools/train/runs/renderers/<name>.json.
"""
import argparse, importlib.util, json, os, sys
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "data"))
torch.set_num_threads(int(os.environ.get("DS_THREADS", "1")))
import build_photo_cache as B  # noqa: E402
import evaluate_photos as EP  # noqa: E402
import photos as PH  # noqa: E402
import procedural as P  # noqa: E402
from evaluate import Clf, clf_input  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--renderer", default=os.path.join(HERE, "..", "data", "photo_defects.py"))
    ap.add_argument("--n", type=int, default=1200)
    ap.add_argument("--name", required=True)
    a = ap.parse_args()
    spec = importlib.util.spec_from_file_location("pd_compared", a.renderer)
    PD = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(PD)
    B.PD = PD
    B._init()
    ok, bad, m, ts = [], [], [], []
    for i in range(a.n):
        o, b, mk, _, _, t, _, _ = B.one(("train", i))
        ok.append(o); bad.append(b); m.append(mk); ts.append(t)
    ts = np.array(ts)
    strength = {}
    for t in range(8):
        mean, top = [], []
        for i in np.nonzero(ts[:400] == t)[0]:
            d = np.abs(bad[i].astype(np.int16) - ok[i].astype(np.int16))
            dm = np.sort(d.max(-1)[m[i]])
            mean.append(d[m[i]].mean())
            top.append(dm[-max(1, len(dm) // 4):].mean())
        strength[P.DEFECTS[t]] = dict(mean=round(float(np.mean(mean)), 1), top_quarter=round(float(np.mean(top)), 1))
    print("strength", strength, flush=True)
    torch.manual_seed(0)
    np.random.seed(0)
    os.makedirs(os.path.join(HERE, "runs", "renderers"), exist_ok=True)
    out = os.path.join(HERE, "runs", "renderers", a.name)
    net = EP.fit_clf(Clf(), clf_input(np.stack(bad), np.stack(ok), np.stack(m)), torch.from_numpy(ts.astype(np.int64)), 6, out + ".pt")
    net.eval()
    _, ev = PH.split()
    eb, eo, em, et = [], [], [], []
    for i, r in enumerate(ev):
        img = PH.eval_crop(PH.load_photo(r))
        for t in range(8):
            s = PD.render_on_photo(np.random.default_rng([EP.EVAL_SEED + 1, i, t]), img, t)
            eb.append(s["defect"]); eo.append(s["ok"]); em.append(s["mask"]); et.append(t)
    pr = EP.predict(net, np.stack(eb), np.stack(eo), np.stack(em))
    et = np.array(et)
    res = dict(renderer=os.path.abspath(a.renderer), n=a.n, strength_first400=strength,
               accuracy=round(float((pr == et).mean()), 4),
               accuracy_per_type={P.DEFECTS[t]: round(float((pr[et == t] == t).mean()), 4) for t in range(8)},
               confusion={P.DEFECTS[t]: np.bincount(pr[et == t], minlength=8).tolist() for t in range(8)})
    json.dump(res, open(out + ".json", "w"), indent=1)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
