"""Issue 9's measures on the real-photo evaluation set, generating with the app's own pipeline.

  /usr/bin/python3 tools/train/evaluate_photos.py --pack public/models/ds-surface-v1 --name v1
  /usr/bin/python3 tools/train/evaluate_photos.py --pack /tmp/ds-v2-pack --name v2
Writes tools/train/runs/photo-eval/<name>/ (inputs, trimaps, outputs, cases.tsv, metrics.json, grid.png).
Tuning generation settings (never on the evaluation photos): --case-set train --per-type N builds the same kind of
cases on TRAINING photos (prepare_train) under runs/photo-tune/<name>/; --set FLAG=VALUE passes a setting to every
case (e.g. --set guidance=5); tools/train/tune_table.py prints runs side by side per type.
The pack's prompt presets may carry their own settings (the built-in pack's do since the sixth session): they apply
to their prompts here as in the CLI (metrics.json lists them); --set guidance=7 gives every case the pack default.

- Photos: tools/data/photo-eval.txt (never trained on), centre square, 256x256 (photos.eval_crop).
- Trimaps: placed by a seeded script (seed [EVAL_SEED, photo, case]); whole image object; thin strokes
  (3-5 px wide polylines) for scratch / crack / cut / fold, blobs (ellipses, 10-22 px radius) for
  dent / hole / stain / colour spot. Two cases a photo: one of scratch / dent / fold and one of
  crack / hole / stain / cut / colour spot (each in turn by photo). Prompts are the pack's presets ("a scratch").
- Generation: tools/train/gen_cases.ts = the CLI's generator (pack defaults: 25 DDIM steps, guidance 7,
  decoder adaptation on, paste-back), onnxruntime-node, one seed a case (uncurated).
- Colour consistency and seam: /work/shared/tools/realism_metrics.py's measure() (|chroma inside - chroma
  in the 12 px ring| over scratch / dent / fold; seam = band gradient output / input, median).
- Fidelity: a defect-type classifier (evaluate.py's Clf) trained on defects rendered on TRAINING photos
  (tools/data/cache/photo_clf.npz if built, else photo_train.npz), scored on the generations; its accuracy on defects rendered on the
  evaluation photos is reported as its ceiling. A 9-way classifier (clf-photo4: check_clf.py --build-none) also knows
  "none" (nothing drawn in the region), so an empty trimap is not credited as a defect type (no floor cases).
- VAE PSNR: the pack's VAE (its ONNX weights in PyTorch) on the 256x256 evaluation photos, through the
  pack's context normalisation when its manifest sets contextNorm.
"""
import argparse, json, math, os, subprocess, sys, time
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "data"))
torch.set_num_threads(int(os.environ.get("DS_THREADS", "2")))
import photos as PH  # noqa: E402
import photo_defects as PD  # noqa: E402
import procedural as P  # noqa: E402
import contextnorm as CN  # noqa: E402

SHARED_METRICS = os.environ.get("DS_REALISM_METRICS", "/work/shared/tools/realism_metrics.py")
EVAL_SEED = 7_000_003
OUT_ROOT = os.path.join(HERE, "runs", "photo-eval")
TUNE_ROOT = os.path.join(HERE, "runs", "photo-tune")
STROKE = {"scratch", "crack", "cut", "fold"}
OTHER = ["crack", "hole", "stain", "cut", "color"]
PROMPT = {"scratch": "a scratch", "crack": "a crack", "hole": "a hole", "stain": "a stain", "dent": "a dent",
          "cut": "a cut", "color": "a color spot", "fold": "a fold"}
KEEP_COLOUR = ("scratch", "dent", "fold")
CLF_DEFAULT = os.path.join(HERE, "runs", "clf-photo.pt")
# a classifier's labels: the 8 defect types, and with a 9-way classifier (clf-photo4 on) a 9th class "none" = nothing
# drawn in the region (check_clf.py --build-none), so an empty or unchanged trimap is no longer read as a defect type
NONE = len(P.DEFECTS)
LABELS = P.DEFECTS + ["none"]


def load_metrics():
    import importlib.util
    spec = importlib.util.spec_from_file_location("realism_metrics", SHARED_METRICS)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def trimap_geom(rng, kind, S=256):
    """The defect region of an evaluation trimap: (mask, path, centre). Strokes: a 2-4 segment polyline
    (path = its points, x/y) 3-5 px wide; blobs: an ellipse (centre = x/y) of radius 10-22 px."""
    yy, xx = np.mgrid[0:S, 0:S].astype(np.float32)
    m = np.zeros((S, S), bool)
    if kind in STROKE:
        n = rng.integers(2, 5)
        pts = [rng.uniform(60, S - 60, 2)]
        ang = rng.uniform(0, 2 * math.pi)
        for _ in range(n):
            ang += rng.normal(0, 0.35)
            L = rng.uniform(20, 45)
            p = pts[-1] + L * np.array([math.cos(ang), math.sin(ang)])
            pts.append(np.clip(p, 12, S - 12))
        w = rng.uniform(1.5, 2.5)
        for a, b in zip(pts[:-1], pts[1:]):
            d = b - a
            t = np.clip(((xx - a[0]) * d[0] + (yy - a[1]) * d[1]) / max(d @ d, 1e-6), 0, 1)
            dist = np.hypot(xx - a[0] - t * d[0], yy - a[1] - t * d[1])
            m |= dist <= w
        return m, np.array(pts), None
    cx, cy = rng.uniform(70, S - 70, 2)
    r = rng.uniform(10, 22)
    e = rng.uniform(0.6, 1.0)
    th = rng.uniform(0, math.pi)
    c, s = math.cos(th), math.sin(th)
    u, v = (xx - cx) * c + (yy - cy) * s, -(xx - cx) * s + (yy - cy) * c
    return (u / r) ** 2 + (v / (r * e)) ** 2 <= 1, None, (float(cx), float(cy))


def make_trimap(rng, kind, S=256):
    m, _, _ = trimap_geom(rng, kind, S)
    tri = np.full((S, S), 127, np.uint8)
    tri[m] = 255
    return tri


def prepare(out):
    _, ev = PH.split()
    os.makedirs(os.path.join(out, "inputs"), exist_ok=True)
    os.makedirs(os.path.join(out, "trimaps"), exist_ok=True)
    os.makedirs(os.path.join(out, "outputs"), exist_ok=True)
    cases = []
    for i, r in enumerate(ev):
        img = PH.eval_crop(PH.load_photo(r))
        ip = os.path.join(out, "inputs", "%02d.png" % i)
        Image.fromarray(img).save(ip)
        kinds = [KEEP_COLOUR[i % 3], OTHER[i % len(OTHER)]]
        for c, k in enumerate(kinds):
            tri = make_trimap(np.random.default_rng([EVAL_SEED, i, c]), k)
            tp = os.path.join(out, "trimaps", "%02d-%d.png" % (i, c))
            Image.fromarray(tri).save(tp)
            cases.append(dict(photo=i, case=c, kind=k, material=r["material"], input=ip, trimap=tp,
                              output=os.path.join(out, "outputs", "%02d-%d.png" % (i, c)), prompt=PROMPT[k],
                              seed=1000 * i + c))
    with open(os.path.join(out, "cases.tsv"), "w") as f:
        for c in cases:
            f.write("\t".join([c["input"], c["trimap"], c["output"], c["prompt"], str(c["seed"])]) + "\n")
    return ev, cases


TRAIN_SEED = 7_100_011


def prepare_train(out, per_type, types=None):
    """A TUNING case set on TRAINING photos (photos.split()'s train records; never the evaluation photos), for
    choosing generation settings without tuning on the evaluation set: per_type cases of every type, the same
    trimap script, the centre-square crop; only photos of a named material (not "other": 243 of the 547 training
    photos), like the evaluation's. Case j: the j-th photo of a seeded permutation of the training photos,
    type j % 8, trimap rng [TRAIN_SEED, j], seed 1000 * j; a larger per_type keeps the smaller set's cases."""
    tr = [r for r in PH.split()[0] if r["material"] != "other"]
    order = np.random.default_rng(TRAIN_SEED).permutation(len(tr))
    for d in ("inputs", "trimaps", "outputs"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    kinds = list(PROMPT)
    recs, cases = [], []
    for j in range(per_type * len(kinds)):
        k = kinds[j % len(kinds)]
        if types and k not in types:  # a subset of the types: the same cases as in the full set
            continue
        r = dict(tr[int(order[j])])
        recs.append(r)
        ip = os.path.join(out, "inputs", "%03d.png" % j)
        if not os.path.exists(ip):
            Image.fromarray(PH.eval_crop(PH.load_photo(r))).save(ip)
        tp = os.path.join(out, "trimaps", "%03d-0.png" % j)
        Image.fromarray(make_trimap(np.random.default_rng([TRAIN_SEED, j]), k)).save(tp)
        cases.append(dict(photo=j, case=0, kind=k, material=r["material"], input=ip, trimap=tp,
                          output=os.path.join(out, "outputs", "%03d-0.png" % j), prompt=PROMPT[k], seed=1000 * j))
    with open(os.path.join(out, "cases.tsv"), "w") as f:
        for c in cases:
            f.write("\t".join([c["input"], c["trimap"], c["output"], c["prompt"], str(c["seed"])]) + "\n")
    return recs, cases


# ------------------------------------------------------------------------------------------ classifier

def fit_clf(net, X, Y, epochs, path, seed=0):
    """Trains the defect-type classifier (Adam, flips, lr x0.6 an epoch) and saves its weights to path.
    Deterministic: the batches come from torch's generator (train_clf seeds it: 0) and the flips from their own
    RandomState(seed) (until 2026-12-02 (session 7) the flips drew from numpy's unseeded global generator, so two builds
    of the same classifier from the same data differed; compare_renderers.py seeded that global with 0 right before,
    which is this sequence)."""
    opt = torch.optim.Adam(net.parameters(), 2e-3)
    flips = np.random.RandomState(seed)
    n = len(X)
    for ep in range(epochs):
        perm = torch.randperm(n)
        net.train()
        for j in range(0, n, 32):
            b = perm[j:j + 32]
            xb = X[b]
            if flips.rand() < 0.5:
                xb = xb.flip(-1)
            if flips.rand() < 0.5:
                xb = xb.flip(-2)
            loss = F.cross_entropy(net(xb), Y[b])
            opt.zero_grad(); loss.backward(); opt.step()
        for g in opt.param_groups:
            g["lr"] *= 0.6
        print("clf epoch %d loss %.3f" % (ep, loss.item()), flush=True)
    torch.save(net.state_dict(), path)
    return net


def generate_cases(out, pack, steps=None, extra=(), cases_file="cases.tsv"):
    """Generates out/cases.tsv with the CLI's generator (gen_cases.ts); writes and returns out/generation.json.
    extra: more gen_cases.ts options (settings for every case, e.g. ["--guidance", "5"])."""
    cmd = ["node", "--import", "tsx", os.path.join(HERE, "gen_cases.ts"), os.path.join(out, cases_file), pack]
    if steps:
        cmd += ["--steps", str(steps)]
    cmd += list(extra)
    t0 = time.time()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        print(r.stderr[-3000:]); raise SystemExit("generation failed")
    gen_info = json.loads(r.stdout.strip().splitlines()[-1])
    json.dump(gen_info, open(os.path.join(out, "generation.json"), "w"))
    print("generated", gen_info, "in %.0fs" % (time.time() - t0), flush=True)
    return gen_info

def train_clf(path, epochs=6, data=None, seed=0):
    """Train the defect-type classifier on `data` (npz files of defect / ok / mask / dtype), save it to `path`.
    seed: torch's and the flips' (0 for every classifier of MODEL.md; others give further draws of the same
    instrument, to see how much a fidelity figure owes to the draw)."""
    from evaluate import Clf, clf_input
    if data is None:
        # its own split (build_photo_cache.py --split clf) when built, else the UNet's photo training set: both
        # are defects rendered on TRAINING photos only
        p = os.path.join(HERE, "..", "data", "cache", "photo_clf.npz")
        if not os.path.exists(p):
            p = os.path.join(HERE, "..", "data", "cache", "photo_train.npz")
        data = [p]
    print("classifier data:", ", ".join(os.path.basename(p) for p in data), flush=True)
    Xs, Ys = [], []
    for p in data:
        d = np.load(p)
        Xs.append(clf_input(d["defect"], d["ok"], d["mask"]))
        Ys.append(torch.from_numpy(d["dtype"].astype(np.int64)))
    torch.manual_seed(seed)
    X, Y = torch.cat(Xs), torch.cat(Ys)
    net = Clf(n_types=int(Y.max()) + 1)  # 9 when a "none" cache (label NONE) is among the data
    return fit_clf(net, X, Y, epochs, path, seed)


def load_clf(path=None):
    from evaluate import Clf
    path = path or CLF_DEFAULT
    if os.path.exists(path):
        sd = torch.load(path)
        net = Clf(n_types=sd["h.weight"].shape[0])  # 8 types, or 8 + "none"
        net.load_state_dict(sd)
    else:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        net = train_clf(path)
    net.eval()
    return net


def predict(net, bad, ok, mask):
    from evaluate import clf_input
    with torch.no_grad():
        return torch.cat([net(clf_input(bad[j:j + 32], ok[j:j + 32], mask[j:j + 32])).argmax(1)
                          for j in range(0, len(bad), 32)]).numpy()


def clf_ceiling(net, ev):
    """Accuracy of the classifier on defects RENDERED (photo_defects) on the evaluation photos, two types a photo
    (every type in turn): (natural: with their own support as the mask, in-trimap: laid along an evaluation-style
    trimap of their shape and clipped to it, the evaluation's condition; see check_clf.py), number of samples."""
    bads, oks, ms, ts = [], [], [], []
    imgs = [PH.eval_crop(PH.load_photo(r)) for r in ev]
    for i, img in enumerate(imgs):
        for t in (i % 8, (i + 4) % 8):
            s = PD.render_on_photo(np.random.default_rng([EVAL_SEED + 1, i, t]), img, t)
            bads.append(s["defect"]); oks.append(s["ok"]); ms.append(s["mask"]); ts.append(t)
    natural = float((predict(net, np.stack(bads), np.stack(oks), np.stack(ms)) == np.array(ts)).mean())
    b, o, m, t = trimap_renders(imgs, EVAL_SEED + 2, lambda i: (i % 8, (i + 4) % 8))
    return natural, float((predict(net, b, o, m) == t).mean()), len(ts)


# render_in_trimap (a defect type rendered along / inside a trimap, the evaluation's reference renders) lives in
# tools/data/trimap_defects.py since 2026-12-02 (shared with the training's user-style trimap samples); called with
# fit=None it is the function that was here, byte for byte.
from trimap_defects import render_in_trimap  # noqa: E402,F401


def trimap_renders(photos, seed, types_of):
    """(bad, ok, mask, type) arrays: for photo k, each type in types_of(k) rendered in a fresh evaluation-style
    trimap of that type's shape (trimap_geom, rng [seed, k, type])."""
    bads, oks, ms, ts = [], [], [], []
    for k, img in enumerate(photos):
        for t in types_of(k):
            rng = np.random.default_rng([seed, k, t])
            m, path, centre = trimap_geom(rng, P.DEFECTS[t])
            bads.append(render_in_trimap(rng, img, t, m, path, centre)); oks.append(img); ms.append(m); ts.append(t)
    return np.stack(bads), np.stack(oks), np.stack(ms), np.array(ts)


# ------------------------------------------------------------------------------------------------ VAE
def load_vae(pack):
    """(the pack's VAE in PyTorch, its contextNorm flag)."""
    from from_onnx import load_pack_vae
    man = json.load(open(os.path.join(pack, "defect-studio.json")))
    return load_pack_vae(pack), bool(man.get("contextNorm"))


def vae_reconstruct(vae, norm, xb, defect=None):
    """uint8 [N,H,W,3] images -> their VAE reconstructions (encoder mean, decoder), uint8; through context
    normalisation when norm, its gains from the pixels outside `defect` (bool [N,H,W]; none: the whole image)."""
    x = torch.from_numpy(xb).permute(0, 3, 1, 2).float() / 127.5 - 1
    if defect is None:
        defect = np.zeros(xb.shape[:3], bool)
    g = torch.from_numpy(np.stack([CN.gains_u8(im, d, np.ones(im.shape[:2], bool)) for im, d in zip(xb, defect)]))
    with torch.no_grad():
        xi = CN.normalize_t(x, g) if norm else x
        y = vae.decoder(vae.encoder(xi)[0])
        y = CN.denormalize_t(y, g) if norm else y
    return ((y.clamp(-1, 1) + 1) * 127.5 + 0.5).floor().byte().permute(0, 2, 3, 1).numpy()


def vae_psnr(pack, ev):
    vae, norm = load_vae(pack)
    X = np.stack([PH.eval_crop(PH.load_photo(r)) for r in ev])
    res = []
    for i in range(0, len(X), 8):
        xb = X[i:i + 8]
        for a, b in zip(xb, vae_reconstruct(vae, norm, xb)):
            mse = np.mean((a.astype(np.float64) - b) ** 2)
            res.append(10 * math.log10(255 ** 2 / max(mse, 1e-10)))
    return res, norm


# ----------------------------------------------------------------------------------------------- grid
def grid(out, ev, cases, n_rows=16, cs=128):
    rows = []
    for i in range(min(n_rows, len(ev))):
        cc = [c for c in cases if c["photo"] == i]
        tiles = []
        inp = np.asarray(Image.open(cc[0]["input"]).convert("RGB"))
        tiles.append(inp)
        for c in cc:
            o = np.asarray(Image.open(c["output"]).convert("RGB"))
            tiles.append(o)
        im = Image.fromarray(np.concatenate([np.asarray(Image.fromarray(t).resize((cs, cs), Image.BILINEAR)) for t in tiles], 1))
        dr = ImageDraw.Draw(im)
        dr.text((3, 3), ev[i]["material"], fill=(255, 255, 0))
        for k, c in enumerate(cc):
            dr.text((cs * (k + 1) + 3, 3), c["prompt"], fill=(255, 255, 0))
        rows.append(np.asarray(im))
    Image.fromarray(np.concatenate(rows, 0)).save(os.path.join(out, "grid.jpg"), quality=90)


def sha256_12(path):
    import hashlib
    return hashlib.sha256(open(path, "rb").read()).hexdigest()[:12]


def strength(c):
    """(mean |output - input| inside the defect in 8-bit levels, output == input outside it). A defect the model
    did not draw keeps the colour and makes no seam: the strength shows it next to those two measures."""
    o = np.asarray(Image.open(c["output"]).convert("RGB")).astype(np.int16)
    x = np.asarray(Image.open(c["input"]).convert("RGB")).astype(np.int16)
    m = np.asarray(Image.open(c["trimap"])) > 200
    return float(np.abs(o - x)[m].mean()), bool((o[~m] == x[~m]).all())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pack", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--skip-gen", "--rescore", action="store_true", help="score the outputs of an earlier run (no generation)")
    ap.add_argument("--clf", default=None, help="the classifier's weights (default runs/clf-photo.pt; trained when missing)")
    ap.add_argument("--gen-only", action="store_true", help="generate, do not score")
    ap.add_argument("--cases-from", default=None, help="with --skip-gen: only the cases run NAME has outputs for too")
    ap.add_argument("--json-name", default="metrics.json")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--set", action="append", default=[], metavar="FLAG=VALUE",
                    help="a generation setting for every case, as the CLI's option: --set guidance=5 --set latent-edit-start=0.6")
    ap.add_argument("--case-set", choices=("eval", "train"), default="eval",
                    help="train: a tuning set on TRAINING photos (--per-type cases of each type; no VAE / ceiling), "
                         "written under runs/photo-tune/NAME; tune settings there, never on the evaluation photos")
    ap.add_argument("--per-type", type=int, default=4)
    ap.add_argument("--types", default=None, help="with --case-set train: only these types (comma-separated, e.g. color,hole)")
    ap.add_argument("--resume", action="store_true", help="generate only the cases without an output yet (e.g. after growing --per-type)")
    a = ap.parse_args()
    tune = a.case_set == "train"
    out = os.path.join(TUNE_ROOT if tune else OUT_ROOT, a.name)
    ev, cases = prepare_train(out, a.per_type, a.types.split(",") if a.types else None) if tune else prepare(out)
    extra = []
    for kv in a.set:
        k, _, v = kv.partition("=")
        extra += ["--no-adapt"] if k.lstrip("-") == "no-adapt" else ["--" + k.lstrip("-"), v]
    gen_info = None
    if not a.skip_gen and a.resume:
        todo = [c for c in cases if not os.path.exists(c["output"])]
        with open(os.path.join(out, "cases-todo.tsv"), "w") as f:
            for c in todo:
                f.write("\t".join([c["input"], c["trimap"], c["output"], c["prompt"], str(c["seed"])]) + "\n")
        print("resume: %d of %d cases to generate" % (len(todo), len(cases)), flush=True)
        gen_info = generate_cases(out, a.pack, a.steps, extra, "cases-todo.tsv") if todo else None
    elif not a.skip_gen:
        gen_info = generate_cases(out, a.pack, a.steps, extra)
        if a.gen_only:
            return
    elif os.path.exists(os.path.join(out, "generation.json")):
        gen_info = json.load(open(os.path.join(out, "generation.json")))
    if a.cases_from:  # score only the cases another run has generated too (a paired partial comparison)
        other = os.path.join(TUNE_ROOT if tune else OUT_ROOT, a.cases_from, "outputs")
        cases = [c for c in cases if os.path.exists(c["output"]) and os.path.exists(os.path.join(other, os.path.basename(c["output"])))]
        print("scoring %d cases that both runs generated" % len(cases), flush=True)
    RM = load_metrics()
    for c in cases:
        c["chroma_excess"], c["seam_ratio"] = RM.measure(c["input"], c["trimap"], c["output"])
        c["mad_inside"], c["outside_identical"] = strength(c)
    clf_path = os.path.abspath(a.clf or CLF_DEFAULT)
    net = load_clf(clf_path)
    bad = np.stack([np.asarray(Image.open(c["output"]).convert("RGB")) for c in cases])
    ok = np.stack([np.asarray(Image.open(c["input"]).convert("RGB")) for c in cases])
    mask = np.stack([np.asarray(Image.open(c["trimap"])) > 200 for c in cases])
    pr = predict(net, bad, ok, mask)
    labels = LABELS[:net.h.out_features]
    # the no-draw floor, case by case: what the classifier says of the same trimap with nothing drawn (output = input);
    # a case whose empty trimap already reads as the prompted type is credited whatever the model draws there
    pr0 = predict(net, ok, ok, mask)
    for c, p, p0 in zip(cases, pr, pr0):
        c["predicted"] = LABELS[int(p)]
        c["correct"] = c["predicted"] == c["kind"]
        c["predicted_if_nothing_drawn"] = LABELS[int(p0)]
    # both depend only on the classifier / on the pack's VAE and contextNorm flag: cached under runs/ by their hashes
    man = json.load(open(os.path.join(a.pack, "defect-studio.json")))
    if tune:  # the ceiling and the VAE PSNR are evaluation-set figures
        ceiling = ceiling_trimap = float("nan"); n_ceiling = 0
        norm = bool(man.get("contextNorm"))
        ev = []
    else:
        key = os.path.join(HERE, "runs", "clf-ceiling-%s.json" % sha256_12(clf_path))
        if not os.path.exists(key):
            json.dump(clf_ceiling(net, ev), open(key, "w"))
        ceiling, ceiling_trimap, n_ceiling = json.load(open(key))
        key = os.path.join(HERE, "runs", "vae-psnr-%s-%s-%d.json" % (man["files"]["vae_encoder/model.onnx"]["sha256"][:12],
                                                                   man["files"]["vae_decoder/model.onnx"]["sha256"][:12],
                                                                   bool(man.get("contextNorm"))))
        if not os.path.exists(key):
            json.dump(vae_psnr(a.pack, ev), open(key, "w"))
        psnrs, norm = json.load(open(key))
        for i, r in enumerate(ev):
            r["vae_psnr"] = psnrs[i]

    def summary(cs, evs):
        keep = [abs(c["chroma_excess"]) for c in cs if c["kind"] in KEEP_COLOUR]
        return {"cases": len(cs), "chroma_abs_mean_scratch_dent_fold": round(float(np.mean(keep)), 2) if keep else None,
                "seam_ratio_median": round(float(np.median([c["seam_ratio"] for c in cs])), 3) if cs else None,
                "fidelity": round(float(np.mean([c["correct"] for c in cs])), 3) if cs else None,
                # cases whose empty trimap already reads as the prompted type, and the fidelity over the others
                "floor_cases": int(sum(c["predicted_if_nothing_drawn"] == c["kind"] for c in cs)),
                "fidelity_off_floor": (round(float(np.mean([c["correct"] for c in cs if c["predicted_if_nothing_drawn"] != c["kind"]])), 3)
                                       if any(c["predicted_if_nothing_drawn"] != c["kind"] for c in cs) else None),
                "mad_inside": round(float(np.mean([c["mad_inside"] for c in cs])), 2) if cs else None,
                "outside_identical_cases": int(sum(c["outside_identical"] for c in cs)),
                "vae_psnr_db": round(float(np.mean([r["vae_psnr"] for r in evs])), 2) if evs else None,
                "photos": len(evs)}

    mats = sorted({c["material"] for c in cases})
    res = {"pack": os.path.relpath(os.path.abspath(a.pack), ROOT) if os.path.abspath(a.pack).startswith(ROOT) else a.pack,
           "context_norm": norm, "generation": gen_info, "scored_without_generation": bool(a.skip_gen),
           "overall": summary(cases, ev),
           "case_set": a.case_set, "settings_given": a.set,
           # a preset's own settings apply to its prompt (explicit --set wins): the pack's presets as used
           "prompt_presets": man.get("promptPresets"),
           "per_material": {m: summary([c for c in cases if c["material"] == m], [r for r in ev if r["material"] == m]) for m in mats},
           "per_type": {k: summary([c for c in cases if c["kind"] == k], []) for k in PROMPT},
           "classifier_ceiling_on_rendered_eval_defects": {"accuracy": round(ceiling, 3), "in_trimap": round(ceiling_trimap, 3),
                                                           "samples": n_ceiling},
           "classifier": {"path": os.path.relpath(clf_path, ROOT), "sha256": sha256_12(clf_path)},
           "confusion_rows_prompted_cols_predicted": {"labels": labels, "matrix": [
               [sum(1 for c in cases if c["kind"] == k and c["predicted"] == q) for q in labels] for k in P.DEFECTS]},
           "cases": [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in c.items() if k not in ("input", "trimap", "output")}
                     for c in cases]}
    json.dump(res, open(os.path.join(out, a.json_name), "w"), indent=1)
    if not a.cases_from and not tune:
        grid(out, ev, cases)
    print(json.dumps({k: res[k] for k in ("overall", "per_material", "per_type", "classifier_ceiling_on_rendered_eval_defects", "generation")}, indent=1))


if __name__ == "__main__":
    main()
