"""Cheap proxy of the photo evaluation for comparing training recipes / checkpoints (issue 9), on TRAINING photos only.

  DS_THREADS=1 nice -n 10 /usr/bin/python3 tools/train/probe.py --ckpt tools/train/runs/v3/compact.pt --name v3-sNNNN
  /usr/bin/python3 tools/train/probe.py --ckpt v1 --name v1          # the shipped pack's weights (no context norm)
Writes tools/train/runs/probe/<name>.json (and a small grid .jpg) and prints a table. About 2-4 minutes on one thread.

1. Generation probe: 24 training photos (photo_train.npz's normal images, i.e. tools/data/photo-train lists, never the
   evaluation photos), a 128 x 128 window (32 x 32 latents, the training crop size) around a trimap drawn by
   evaluate_photos.make_trimap (same stroke / blob shapes as the evaluation, another seed). 12 stroke windows are
   generated with each of "a scratch" / "a crack" / "a cut" / "a fold", 12 blob windows with "a dent" / "a hole" /
   "a stain" / "a color spot", same seed for the four prompts (96 generations; evaluate.generate: the app's DDIM
   schedule, guidance 7, latent blending, pixel round trips, paste-back; no decoder adaptation; context
   normalisation unless --no-norm). Reports per prompt: strength = mean |out - in| inside the defect (8-bit levels),
   the photo classifier's (runs/clf-photo.pt) recognition rate, and prompt sensitivity = mean |out_a - out_b| inside
   the defect between the other prompts of the same window and seed (0 = the text is ignored).
2. Loss probe: 256 fixed latent crops of the training latent cache (runs/v2/latents.pt, the first 256 of each kind
   order), fixed noise, t in 50/200/400/600/800/950: epsilon MSE inside the defect cells (max-pooled 3x3) and outside,
   per defect type.
"""
import argparse, json, math, os, sys, time
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "data"))
torch.set_num_threads(int(os.environ.get("DS_THREADS", "1")))
from models import TextEncoder, VAE_F, unet_from_arch  # noqa: E402
import vocab as V  # noqa: E402
import contextnorm as CN  # noqa: E402
import procedural as P  # noqa: E402
from evaluate import generate, clf_input  # noqa: E402
from evaluate_photos import make_trimap, load_clf, predict  # noqa: E402
from train import sd_alphas_cumprod  # noqa: E402

torch.set_num_threads(int(os.environ.get("DS_THREADS", "1")))  # evaluate.py sets 2 on import

PACK_V1 = os.path.join(ROOT, "public", "models", "ds-surface-v1")
CACHE = os.path.join(HERE, "..", "data", "cache")
OUT = os.path.join(HERE, "runs", "probe")
SEED = 9_100_003
STROKES = ["scratch", "crack", "cut", "fold"]
BLOBS = ["dent", "hole", "stain", "color"]
PROMPT = {"scratch": "a scratch", "crack": "a crack", "hole": "a hole", "stain": "a stain", "dent": "a dent",
          "cut": "a cut", "color": "a color spot", "fold": "a fold"}
W = 128


def load_models(ckpt):
    from from_onnx import load_pack_weights, remap_text_encoder
    vae, te1, un1, scale, vocab1 = load_pack_weights(PACK_V1)
    if ckpt == "v1":
        te, un = remap_text_encoder(te1, vocab1, V.WORD2ID), un1
        step = 0
    else:
        c = torch.load(ckpt)
        te, un = TextEncoder(len(V.VOCAB)), unet_from_arch(c.get("unet_arch"))
        te.load_state_dict({k: v.float() for k, v in c["te"].items()})
        un.load_state_dict({k: v.float() for k, v in c["unet"].items()})
        step = int(c.get("step", -1))
    for m in (vae, te, un):
        m.eval()
    return vae, te, un, scale, step


def cases():
    d = np.load(os.path.join(CACHE, "photo_train.npz"))
    ok, obj = d["ok"], d["obj"]
    picks, i = [], 0
    while len(picks) < 24:
        j = (i * 97 + 11) % min(len(ok), 1200)  # the first 1200 samples' photos and crops do not depend on the renderer
        i += 1
        if obj[j].all():
            picks.append(j)
    out = []
    for n, j in enumerate(picks):
        kinds = STROKES if n % 2 == 0 else BLOBS
        tri = make_trimap(np.random.default_rng([SEED, n]), kinds[0])
        m = tri > 200
        ys, xs = np.nonzero(m)
        cy = int(np.clip((ys.min() + ys.max()) // 2 - W // 2, 0, 256 - W)) // 4 * 4
        cx = int(np.clip((xs.min() + xs.max()) // 2 - W // 2, 0, 256 - W)) // 4 * 4
        m2 = np.zeros_like(m)
        m2[cy:cy + W, cx:cx + W] = m[cy:cy + W, cx:cx + W]
        out.append(dict(idx=int(j), kinds=kinds, ok=ok[j], mask=m2, win=(cy, cx), seed=SEED + n))
    return out


@torch.no_grad()
def gen_probe(vae, te, un, scale, norm, clf):
    rows = []
    for c in cases():
        cy, cx = c["win"]
        sl = (slice(cy, cy + W), slice(cx, cx + W))
        okw, mw = c["ok"][sl], c["mask"][sl]
        objw = np.ones_like(mw)
        x = torch.from_numpy(okw).permute(2, 0, 1)[None].float() / 127.5 - 1
        g = torch.from_numpy(CN.gains_u8(okw, mw, objw))[None]
        xn = CN.normalize_t(x, g) if norm else x
        outs = {}
        for k in c["kinds"]:
            y, _ = generate(vae, te, un, scale, xn, mw, objw, PROMPT[k], c["seed"], steps=25, g=7.0)
            y = CN.denormalize_t(y, g) if norm else y
            y = torch.where(torch.from_numpy(mw)[None, None], y, x)
            o = ((y.clamp(-1, 1) + 1) * 127.5 + 0.5).floor().byte()[0].permute(1, 2, 0).numpy()
            o = np.where(mw[..., None], o, okw)
            full = c["ok"].copy()
            full[sl] = o
            outs[k] = full
        for k in c["kinds"]:
            o = outs[k].astype(np.int16)
            s = float(np.abs(o - c["ok"])[c["mask"]].mean())
            sens = float(np.mean([np.abs(o - outs[q].astype(np.int16))[c["mask"]].mean() for q in c["kinds"] if q != k]))
            rows.append(dict(idx=c["idx"], kind=k, strength=s, sens=sens, out=outs[k], ok=c["ok"], mask=c["mask"]))
    pr = predict(clf, np.stack([r["out"] for r in rows]), np.stack([r["ok"] for r in rows]), np.stack([r["mask"] for r in rows]))
    for r, p in zip(rows, pr):
        r["pred"] = P.DEFECTS[int(p)]
    return rows


@torch.no_grad()
def loss_probe(te, un, scale):
    L = torch.load(os.path.join(HERE, "runs", "v2", "latents.pt"))
    tr = L["train"]
    g = torch.Generator().manual_seed(SEED)
    idx = torch.randperm(len(tr["z"]), generator=g)[:256]
    z0 = tr["z"][idx].float() * scale
    dm, om, zm = tr["dm"][idx].float(), tr["om"][idx].float(), tr["zm"][idx].float() * scale
    dt = tr["dtype"][idx]
    ac = sd_alphas_cumprod()
    ids = torch.tensor([V.encode(PROMPT[P.DEFECTS[int(k)]]) for k in dt], dtype=torch.int64)
    ctx = te(ids)
    inside = F.max_pool2d(dm, 3, 1, 1) > 0
    res = {}
    for t in (50, 200, 400, 600, 800, 950):
        noise = torch.randn(z0.shape, generator=g)
        a = ac[t]
        zt = a.sqrt() * z0 + (1 - a).sqrt() * noise
        err = []
        for j in range(0, 256, 32):
            e = un(torch.cat([zt[j:j + 32], dm[j:j + 32], om[j:j + 32], zm[j:j + 32]], 1),
                   torch.full((len(zt[j:j + 32]),), t, dtype=torch.int64), ctx[j:j + 32])
            err.append(((e - noise[j:j + 32]) ** 2).mean(1, keepdim=True))
        err = torch.cat(err)
        per = {}
        for k in range(8):
            s = dt == k
            ins = inside[s]
            per[P.DEFECTS[k]] = round(float(err[s][ins].mean()), 4)
        res[t] = dict(inside=round(float(err[inside].mean()), 4), outside=round(float(err[~inside].mean()), 4), per_type_inside=per)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True, help="a compact checkpoint (.pt) or v1")
    ap.add_argument("--name", required=True)
    ap.add_argument("--no-norm", action="store_true")
    ap.add_argument("--skip-loss", action="store_true")
    ap.add_argument("--clf", default=None, help="weights of another photo classifier (evaluate.py's Clf), e.g. one trained "
                    "also on renders inside evaluation-style trimaps; default runs/clf-photo.pt")
    ap.add_argument("--rescore", action="store_true", help="only re-classify the saved outputs of run NAME with --clf")
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    t0 = time.time()
    if a.rescore:
        from evaluate import Clf
        clf = Clf()
        clf.load_state_dict(torch.load(a.clf))
        clf.eval()
        d = np.load(os.path.join(OUT, a.name + "-outputs.npz"))
        pr = np.array([P.DEFECTS[int(p)] for p in predict(clf, d["out"], d["ok"], d["mask"])])
        k = d["kind"]
        print("%s re-scored with %s: recognised %.1f%%  %s" % (a.name, a.clf, 100 * (pr == k).mean(), {
            q: round(float((pr[k == q] == q).mean()), 2) for q in STROKES + BLOBS}))
        return
    vae, te, un, scale, step = load_models(a.ckpt)
    norm = not a.no_norm and a.ckpt != "v1"
    if a.clf:
        from evaluate import Clf
        clf = Clf()
        clf.load_state_dict(torch.load(a.clf))
        clf.eval()
    else:
        clf = load_clf()
    rows = gen_probe(vae, te, un, scale, norm, clf)
    res = {"ckpt": a.ckpt, "step": step, "context_norm": norm, "clf": a.clf or "runs/clf-photo.pt", "per_prompt": {}}
    for k in STROKES + BLOBS:
        rr = [r for r in rows if r["kind"] == k]
        res["per_prompt"][k] = dict(strength=round(float(np.mean([r["strength"] for r in rr])), 1),
                                    recognised=round(float(np.mean([r["pred"] == k for r in rr])), 3),
                                    sensitivity=round(float(np.mean([r["sens"] for r in rr])), 1),
                                    predicted={p: sum(r["pred"] == p for r in rr) for p in sorted({r["pred"] for r in rr})})
    res["all"] = dict(strength=round(float(np.mean([r["strength"] for r in rows])), 2),
                      recognised=round(float(np.mean([r["pred"] == r["kind"] for r in rows])), 3),
                      sensitivity=round(float(np.mean([r["sens"] for r in rows])), 2))
    if not a.skip_loss:
        res["loss"] = loss_probe(te, un, scale)
    res["seconds"] = round(time.time() - t0)
    json.dump(res, open(os.path.join(OUT, a.name + ".json"), "w"), indent=1)
    np.savez_compressed(os.path.join(OUT, a.name + "-outputs.npz"), out=np.stack([r["out"] for r in rows]),
                        ok=np.stack([r["ok"] for r in rows]), mask=np.stack([r["mask"] for r in rows]),
                        kind=np.array([r["kind"] for r in rows]))  # to re-score with another classifier
    # grid: per stroke / blob window, input then the four prompts (64 px crops around the defect)
    tiles = []
    for n in range(0, len(rows), 4):
        grp = rows[n:n + 4]
        ys, xs = np.nonzero(grp[0]["mask"])
        cy = int(np.clip((ys.min() + ys.max()) // 2 - 48, 0, 160)); cx = int(np.clip((xs.min() + xs.max()) // 2 - 48, 0, 160))
        sl = (slice(cy, cy + 96), slice(cx, cx + 96))
        tiles.append(np.concatenate([grp[0]["ok"][sl]] + [r["out"][sl] for r in grp], 1))
    Image.fromarray(np.concatenate(tiles, 0)).save(os.path.join(OUT, a.name + ".jpg"), quality=85)
    print("%s (step %d, %ds): all strength %.1f recognised %.1f%% sensitivity %.1f" % (
        a.name, step, res["seconds"], res["all"]["strength"], 100 * res["all"]["recognised"], res["all"]["sensitivity"]))
    for k, v in res["per_prompt"].items():
        print("  %-8s strength %5.1f recognised %5.1f%% sensitivity %5.1f  %s" % (k, v["strength"], 100 * v["recognised"], v["sensitivity"], v["predicted"]))
    if "loss" in res:
        for t, v in res["loss"].items():
            print("  t=%-4d inside %.4f outside %.4f  %s" % (t, v["inside"], v["outside"], v["per_type_inside"]))


if __name__ == "__main__":
    main()
