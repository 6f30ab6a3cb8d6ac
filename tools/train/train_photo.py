"""Second-generation training of the built-in model on real photographs (issue 9), resumable across sessions.

  /usr/bin/python3 tools/train/train_photo.py --stage cache     # photo + procedural defects -> latent cache
  /usr/bin/python3 tools/train/train_photo.py --stage unet --minutes 600
Both stages use context normalisation (contextnorm.py, the pack's "contextNorm": true).
The VAE is the shipped one (ds-surface-v1's ONNX weights, frozen: 29-30 dB on photos already), so the latent
space does not change and the UNet / text encoder continue from their previous weights:
  1. tools/train/runs/v2/unet.pt if present (full state: weights, EMA, optimiser, step),
  2. else the committed compact checkpoint tools/train/checkpoints/ds-surface-v2-ema.pt (EMA weights, fp16),
  3. else the shipped pack's ONNX weights (tools/train/from_onnx.py), text embeddings remapped to the new vocab.
Checkpoints every --save-every minutes: runs/v2/unet.pt (full) and runs/v2/compact.pt (EMA, fp16, what gets committed).

--recipe v3 (tools/train/run_v3.sh; issue 9's third generation, MODEL.md "v3 recipe") trains in runs/v3/ and changes:
  - the loss: each sample's epsilon error is the mean over its defect cells (defect mask max-pooled 3x3) times
    --defect-share plus the mean over the other cells times (1 - share), so a scratch of 20 latent cells weighs as
    much as a stain of 300 (v2: cells weighted 1 + 2 * defect, so a batch's gradient was mostly its big defects);
    times min-SNR weighting (--min-snr GAMMA, default 5: min(SNR, GAMMA) / SNR), so the last, nearly noise-free
    tenth of the schedule (t < ~120, where the error inside a defect is 10-40x that of t >= 600) no longer dominates;
  - batches: photo samples are drawn with per-type weights (--type-weights, default more cracks / dents / cuts / folds);
  - the warm-up runs only when the optimiser starts fresh, not again at every resume;
  - resumes from runs/v3/unet.pt, else checkpoints/ds-surface-v3-ema.pt, else runs/v2/unet.pt (raw + EMA weights,
    fresh optimiser), else checkpoints/ds-surface-v2-ema.pt, else the v1 pack; the step count continues v2's.
  - its latent cache is runs/v3/latents.pt when built (--stage cache --recipe v3), else v2's; in it half of the
    samples (--dilate-p) get a conditioning mask dilated by 1-4 px (--dilate-max): a looser, user-style region whose
    shape no longer tells the defect type (the text has to), as the evaluation's trimaps and users' strokes are.

--recipe v4 (tools/train/run_v4.sh; MODEL.md "v4 recipe (session 5)") trains in runs/v4/ with v3's loss, type
weights, min-SNR, EMA and batches, and changes the DATA: its latent cache runs/v4/latents.pt (required; built by
--stage cache --recipe v4) holds
  - photo_train_v4.npz: the natural photo samples re-rendered by main's photo_defects.py (v3's seeds; exact masks,
    half dilated 1-4 px as v3),
  - photo_trimap_train.npz: defects drawn INSIDE user-style painted regions (trimap_defects.py; mask = the whole
    painted stroke / blob, never dilated): the condition users and the evaluation create,
  - train.npz: procedural samples (--cache-proc, run_v4.sh: 600; half dilated as v3).
The photo batches (80%) draw from the natural and the trimap samples together (v3's type weights), so about 40% of
a batch is each. Resumes from runs/v4/unet.pt, else the committed checkpoints/ds-surface-v4-ema.pt (EMA weights as
the weights; a fresh optimiser with its warm-up), else the v3 run's full checkpoint runs/v3/unet.pt (weights, EMA and
optimiser: no warm-up), else checkpoints/ds-surface-v3-ema.pt, else v3's chain.
"""
import argparse, math, os, sys, time
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "data"))
NTHREADS = int(os.environ.get("DS_THREADS", "2"))
torch.set_num_threads(NTHREADS)
from models import VAE, TextEncoder, UNet, VAE_F, unet_from_arch  # noqa: E402
from grow import make_optimizer, group_lr  # noqa: E402
import vocab as V  # noqa: E402
import contextnorm as CN  # noqa: E402
from train import to_t, cond_maps, sd_alphas_cumprod, save_ckpt, sample_crops, diffusion_loss  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
RUNS_ROOT = os.environ.get("DS_RUNS", os.path.join(HERE, "runs"))
RUNS = os.path.join(RUNS_ROOT, "v2")
CACHE = os.path.join(HERE, "..", "data", "cache")
PACK_V1 = os.path.join(ROOT, "public", "models", "ds-surface-v1")
COMPACT = os.path.join(HERE, "checkpoints", "ds-surface-v2-ema.pt")
COMPACT_V2 = COMPACT
COMPACT_V3 = os.path.join(HERE, "checkpoints", "ds-surface-v3-ema.pt")
RECIPE = "v2"
# v4's latent cache: (photo cache name under tools/data/cache, dilate its conditioning masks like v3?)
V4_PARTS = (("photo_train_v4", True), ("photo_trimap_train", False))
TYPE_WEIGHTS_V3 = "scratch=1.5,crack=2,hole=1,stain=1,dent=2,cut=1.5,color=1,fold=2"


def use_recipe(recipe):
    """Points RUNS / COMPACT at the recipe's run folder and committed checkpoint."""
    global RUNS, COMPACT, RECIPE
    RECIPE = recipe
    RUNS = os.path.join(RUNS_ROOT, recipe)
    COMPACT = os.path.join(HERE, "checkpoints", "ds-surface-%s-ema.pt" % recipe)


def log(msg):
    line = time.strftime("%H:%M:%S ") + msg
    print(line, flush=True)
    with open(os.path.join(RUNS, "train.log"), "a") as f:
        f.write(line + "\n")


def load_vae_frozen():
    """The VAE of the compact checkpoint if it has one, else the v1 pack's."""
    vae = VAE()
    if os.path.exists(COMPACT):
        c = torch.load(COMPACT)
        if "vae" in c:
            vae.load_state_dict({k: v.float() for k, v in c["vae"].items()})
            vae.eval()
            return vae, float(c["latent_scale"])
    from from_onnx import load_pack_weights
    vae, _, _, scale, _ = load_pack_weights(PACK_V1)
    vae.eval()
    for p in vae.parameters():
        p.requires_grad_(False)
    return vae, scale


def _encode_part(a, vae, name, d, n, dil, rng, drng, out, t0):
    """Appends to out the latents of the first n samples of one photo / procedural cache d: a CROP x CROP window
    around a random mask pixel, context-normalised; with dil, --dilate-p of the conditioning masks dilated (drng)."""
    from scipy import ndimage
    C = a.cache_crop
    bads, oks, ms, os_ = [], [], [], []
    cmask = []
    for i in range(n):
        m_i = d["mask"][i]
        if dil and drng.random() < a.dilate_p:  # v3: a looser, user-style region around the defect (the type is not in its shape)
            m_i = ndimage.binary_dilation(m_i, iterations=int(drng.integers(1, a.dilate_max + 1))) & d["obj"][i]
        cmask.append(m_i)
        ys, xs = np.nonzero(d["mask"][i])
        k = rng.integers(0, len(ys))
        cy = int(np.clip(ys[k] - C // 2 + rng.integers(-C // 4, C // 4 + 1), 0, 256 - C)) // 4 * 4
        cx = int(np.clip(xs[k] - C // 2 + rng.integers(-C // 4, C // 4 + 1), 0, 256 - C)) // 4 * 4
        sl = (slice(cy, cy + C), slice(cx, cx + C))
        bads.append(d["defect"][i][sl]); oks.append(d["ok"][i][sl]); ms.append(m_i[sl]); os_.append(d["obj"][i][sl])
        out["dtype"].append(int(d["dtype"][i])); out["family"].append(int(d["family"][i]))
        out["photo"].append(name != "train")
        out["trimap"].append(name.startswith("photo_trimap"))
        if i % 16 == 15 or i == n - 1:
            j0 = i - len(bads) + 1
            gs = torch.from_numpy(np.stack([CN.gains_u8(d["ok"][j], cmask[j], d["obj"][j]) for j in range(j0, i + 1)]))
            with torch.no_grad():
                bad = CN.normalize_t(to_t(np.stack(bads)), gs)
                ok = CN.normalize_t(to_t(np.stack(oks)), gs)
                m = torch.from_numpy(np.stack(ms))[:, None]
                okm = torch.where(m, torch.zeros_like(ok), ok)
                out["z"].append(vae.encoder(bad)[0].half())
                out["zm"].append(vae.encoder(okm)[0].half())
            dm, om = cond_maps(np.stack(ms), np.stack(os_))
            out["dm"].append(dm.half()); out["om"].append(om.half())
            bads, oks, ms, os_ = [], [], [], []
        if i % 500 == 0:
            log("cache %s %d/%d %.0fs" % (name, i, n, time.time() - t0))


def _load_part(name):
    z = np.load(os.path.join(CACHE, name + ".npz"))
    return {k: z[k] for k in ("ok", "defect", "mask", "obj", "dtype", "family")}  # not the extra keys (memory)


def _out_tensors(out):
    return {"z": torch.cat(out["z"]), "zm": torch.cat(out["zm"]), "dm": torch.cat(out["dm"]), "om": torch.cat(out["om"]),
            "dtype": torch.tensor(out["dtype"]), "family": torch.tensor(out["family"]), "photo": torch.tensor(out["photo"])}


def stage_cache(a):
    """Encode a CROP x CROP window around each defect, context-normalised, for photo and procedural samples."""
    if RECIPE == "v4":
        return stage_cache_v4(a)
    vae, scale = load_vae_frozen()
    parts = []
    for name, n in (("photo_train", a.cache_photo), ("train", a.cache_proc)):
        p = os.path.join(CACHE, name + ".npz")
        if n <= 0 or not os.path.exists(p):
            continue
        d = _load_part(name)
        parts.append((name, d, min(n, len(d["ok"]))))
    rng = np.random.default_rng(a.seed + 7)
    drng = np.random.default_rng(a.seed + 11)  # v3: the conditioning-mask dilation draws (own stream)
    out = {k: [] for k in ("z", "zm", "dm", "om", "dtype", "family", "photo", "trimap")}
    t0 = time.time()
    for name, d, n in parts:
        _encode_part(a, vae, name, d, n, True, rng, drng, out, t0)
    res = {"train": _out_tensors(out), "latent_scale": scale}
    torch.save(res, os.path.join(RUNS, "latents.pt"))
    log("cache: %d latents in %.0fs (latent std %.3f, scale %.4f)" % (len(res["train"]["z"]), time.time() - t0,
                                                                       res["train"]["z"].float().std().item(), scale))


def stage_cache_v4(a):
    """v4: each part (V4_PARTS + train.npz) is encoded with its own random streams ([seed + 7, k], [seed + 11, k])
    into runs/v4/parts/NAME.pt (kept while newer than its .npz and of the same size: --parts encodes only the
    named ones, e.g. while another part's photo cache is still being built), then all parts are joined into
    runs/v4/latents.pt (with a 'trimap' flag per latent and the part sizes)."""
    vae, scale = load_vae_frozen()
    names = [(nm if dil else a.trimap_cache, a.cache_photo if dil else a.cache_trimap, dil) for nm, dil in V4_PARTS] + \
        [("train", a.cache_proc, True)]
    only = set(a.parts.split(",")) if a.parts else None
    pdir = os.path.join(RUNS, "parts")
    os.makedirs(pdir, exist_ok=True)
    t0 = time.time()
    done = {}
    for k, (name, n, dil) in enumerate(names):
        p = os.path.join(CACHE, name + ".npz")
        pp = os.path.join(pdir, name + ".pt")
        if n <= 0:
            continue
        if only is not None and name not in only:
            continue
        if not os.path.exists(p):
            raise SystemExit("recipe v4: %s is missing (tools/train/run_v4.sh builds it)" % os.path.relpath(p, ROOT))
        if os.path.exists(pp) and os.path.getmtime(pp) > os.path.getmtime(p):
            prev = torch.load(pp)
            if prev["n"] == min(n, prev["npz_len"]):
                log("cache %s: kept %s (%d latents)" % (name, os.path.relpath(pp, ROOT), prev["n"]))
                continue
        d = _load_part(name)
        npz_len = len(d["ok"])
        m = min(n, npz_len)
        out = {k2: [] for k2 in ("z", "zm", "dm", "om", "dtype", "family", "photo", "trimap")}
        _encode_part(a, vae, name, d, m, dil, np.random.default_rng([a.seed + 7, k]), np.random.default_rng([a.seed + 11, k]),
                     out, t0)
        del d
        tr = _out_tensors(out)
        tr["trimap"] = torch.tensor(out["trimap"])
        torch.save({"train": tr, "n": m, "npz_len": npz_len, "latent_scale": scale}, pp)
        log("cache %s: %d latents -> %s (%.0fs)" % (name, m, os.path.relpath(pp, ROOT), time.time() - t0))
        done[name] = m
    if only is not None:
        log("cache: parts %s encoded; run again without --parts to join them" % sorted(done))
        return
    trs, sizes = [], {}
    for name, n, _ in names:
        pp = os.path.join(pdir, name + ".pt")
        if n <= 0 or not os.path.exists(pp):
            continue
        c = torch.load(pp)
        trs.append(c["train"]); sizes[name] = c["n"]
    res = {"train": {k: torch.cat([t[k] for t in trs]) for k in trs[0]}, "latent_scale": scale, "parts": sizes}
    torch.save(res, os.path.join(RUNS, "latents.pt"))
    log("cache: %d latents in %.0fs (latent std %.3f, scale %.4f) %s" % (len(res["train"]["z"]), time.time() - t0,
                                                                        res["train"]["z"].float().std().item(), scale, sizes))


def init_models():
    """(te, un, ema_te, ema_un, step, source, hours, recipe_start) from the best available starting point (module
    docstring): hours = wall-clock hours of photo training in it; recipe_start = the step the current recipe began at."""
    te, un = TextEncoder(len(V.VOCAB)), UNet()
    ema_te, ema_un = TextEncoder(len(V.VOCAB)), UNet()
    if RECIPE == "v4":  # (runs/v4/unet.pt and runs/v3/unet.pt are loaded by stage_unet over these)
        for path in (COMPACT, COMPACT_V3):
            if os.path.exists(path):
                c, un, ema_un = _load_compact(path, te, ema_te)
                return te, un, ema_te, ema_un, int(c["step"]), "compact checkpoint %s" % os.path.relpath(path, ROOT), \
                    float(c.get("hours", 0.0)), int(c.get("recipe_start", c["step"])) if path == COMPACT else int(c["step"])
    v2_full = os.path.join(RUNS_ROOT, "v2", "unet.pt")
    if COMPACT != COMPACT_V2 and not os.path.exists(COMPACT) and os.path.exists(v2_full):
        s = torch.load(v2_full)  # a new recipe continues the v2 run's latest weights (its optimiser state is not reused)
        un, ema_un = unet_from_arch(s.get("unet_arch")), unet_from_arch(s.get("unet_arch"))
        te.load_state_dict(s["te"]); un.load_state_dict(s["unet"])
        ema_te.load_state_dict(s["ema_te"]); ema_un.load_state_dict(s["ema_unet"])
        return te, un, ema_te, ema_un, int(s["step"]), "v2 full checkpoint %s (step %d)" % (os.path.relpath(v2_full, ROOT), s["step"]), \
            float(s.get("hours", 0.0)), int(s["step"])
    for path in ([COMPACT, COMPACT_V2] if COMPACT != COMPACT_V2 else [COMPACT]):
        if not os.path.exists(path):
            continue
        c, un, ema_un = _load_compact(path, te, ema_te)
        return te, un, ema_te, ema_un, int(c["step"]), "compact checkpoint %s" % os.path.relpath(path, ROOT), \
            float(c.get("hours", 0.0)), int(c.get("recipe_start", c["step"])) if path == COMPACT else int(c["step"])
    from from_onnx import load_pack_weights, remap_text_encoder
    _, te1, un1, _, vocab1 = load_pack_weights(PACK_V1)
    te2 = remap_text_encoder(te1, vocab1, V.WORD2ID)
    for m in (te, ema_te):
        m.load_state_dict(te2.state_dict())
    for m in (un, ema_un):
        m.load_state_dict(un1.state_dict())
    return te, un, ema_te, ema_un, 0, "ds-surface-v1 ONNX weights", 0.0, 0


def _load_compact(path, te, ema_te):
    """Loads a compact checkpoint's (EMA) weights into the raw and the EMA text encoders and into new raw and EMA
    UNets of its architecture; returns (the checkpoint, unet, ema unet)."""
    c = torch.load(path)
    if c.get("vocab") != V.VOCAB:
        raise SystemExit("the compact checkpoint's vocabulary differs from vocab.py: remap before resuming")
    un, ema_un = unet_from_arch(c.get("unet_arch")), unet_from_arch(c.get("unet_arch"))  # a grown network (grow.py)
    for m in (te, ema_te):
        m.load_state_dict({k: v.float() for k, v in c["te"].items()})
    for m in (un, ema_un):
        m.load_state_dict({k: v.float() for k, v in c["unet"].items()})
    return c, un, ema_un


def save_compact(path, ema_te, ema_un, step, scale, extra):
    save_ckpt(path, te={k: v.half() for k, v in ema_te.state_dict().items()},
              unet={k: v.half() for k, v in ema_un.state_dict().items()}, vocab=V.VOCAB, step=step, latent_scale=scale,
              context_norm=True, unet_arch=ema_un.arch, **extra)


def parse_type_weights(spec):
    import procedural as P
    w = np.ones(len(P.DEFECTS))
    for part in filter(None, spec.split(",")):
        k, v = part.split("=")
        w[P.DEFECTS.index(k.strip())] = float(v)
    return w


def loss_v3(un, ctx, z0, zm, dm, om, ac, rng, share, gamma):
    """Per-sample normalised epsilon loss (module docstring): returns (loss, v2-weighted loss for the log)."""
    t = torch.from_numpy(rng.integers(0, 1000, len(z0))).long()
    noise = torch.randn_like(z0)
    acs = ac[t][:, None, None, None]
    zt = acs.sqrt() * z0 + (1 - acs).sqrt() * noise
    eps = un(torch.cat([zt, dm, om, zm], 1), t, ctx)
    err = ((eps - noise) ** 2).mean(1)
    ins = (F.max_pool2d(dm, 3, 1, 1)[:, 0] > 0).float()
    li = (err * ins).sum((1, 2)) / ins.sum((1, 2)).clamp(min=1)
    lo = (err * (1 - ins)).sum((1, 2)) / (1 - ins).sum((1, 2)).clamp(min=1)
    per = share * li + (1 - share) * lo
    if gamma > 0:
        snr = ac[t] / (1 - ac[t])
        per = per * snr.clamp(max=gamma) / snr
    w = 1 + 2 * ins
    return per.mean(), float((err * w).sum() / w.sum())


def stage_unet(a):
    torch.manual_seed(a.seed)
    lat = os.path.join(RUNS, "latents.pt")
    if not os.path.exists(lat) and a.recipe == "v4":
        raise SystemExit("recipe v4 needs its own latent cache %s (--stage cache --recipe v4)" % os.path.relpath(lat, ROOT))
    if not os.path.exists(lat):
        lat = os.path.join(RUNS_ROOT, "v2", "latents.pt")
    L = torch.load(lat)
    tr, scale = L["train"], L["latent_scale"]
    N = len(tr["z"])
    photo_idx = torch.nonzero(tr["photo"]).flatten().numpy()
    proc_idx = torch.nonzero(~tr["photo"]).flatten().numpy()
    ck = os.path.join(RUNS, "unet.pt")
    te, un, ema_te, ema_un, step, source, hours, recipe_start = init_models()
    prev_full = os.path.join(RUNS_ROOT, "v3", "unet.pt")  # v4 starts from the v3 run's latest full state
    own = os.path.exists(ck)
    # the v3 run's full state only while no v4 checkpoint is committed (a committed v4 compact is newer than v3)
    from_v3 = a.recipe == "v4" and os.path.exists(prev_full) and not os.path.exists(COMPACT)
    src = ck if own else (prev_full if from_v3 else None)
    s = torch.load(src) if src else None
    if s is not None:  # its network (a grown one: grow.py) and its optimiser's parameter groups
        un, ema_un = unet_from_arch(s.get("unet_arch")), unet_from_arch(s.get("unet_arch"))
    params = list(te.parameters()) + list(un.parameters())
    opt = make_optimizer(te, un, a.lr, s["opt"] if s is not None else None)
    v1_steps = 2350
    fresh_opt = True
    if s is not None:
        te.load_state_dict(s["te"]); un.load_state_dict(s["unet"])
        ema_te.load_state_dict(s["ema_te"]); ema_un.load_state_dict(s["ema_unet"]); step = s["step"]
        hours = s.get("hours", 0.0)
        recipe_start = s.get("recipe_start", recipe_start) if own else int(s["step"])
        fresh_opt = a.recipe == "v2"  # v2 kept its warm-up at every resume (as measured); v3 warms up once
        source = "full checkpoint %s" % os.path.relpath(src, ROOT)
    tw = parse_type_weights(a.type_weights) if a.recipe != "v2" else np.ones(8)
    pw = tw[tr["dtype"][photo_idx].numpy()] if len(photo_idx) else None
    pw = pw / pw.sum() if pw is not None else None
    rng = np.random.default_rng([a.seed, step])
    log("start at step %d from %s; %d latents (%d photo, %d procedural) from %s; unet %.2fM (blocks a level %s, middle %d%s) text %.2fM; lr %.1e" % (
        step, source, N, len(photo_idx), len(proc_idx), os.path.relpath(lat, ROOT), sum(p.numel() for p in un.parameters()) / 1e6,
        un.arch["blocks_per_level"], un.arch["mid_blocks"], ", extra attention" if un.arch["extra_attn"] else "",
        sum(p.numel() for p in te.parameters()) / 1e6, a.lr))
    if a.recipe != "v2":
        log("recipe %s (since step %d): defect share %.2f, min-SNR %s, type weights %s, warm-up %s, ema %.4f, photo %.2f" % (
            a.recipe, recipe_start, a.defect_share, a.min_snr or "off", a.type_weights,
            "%d steps" % a.warmup if fresh_opt else "none (optimiser resumed)", a.ema, a.photo_frac))
    losses2 = []
    ac = sd_alphas_cumprod()
    cs = a.crop
    H = tr["z"].shape[-1]
    dmb = tr["dm"][:, 0] > 0
    t_end = time.time() + a.minutes * 60
    t_save = time.time()
    t_last = time.time()
    step0 = step
    losses = []
    while time.time() < t_end:
        lr = a.lr * min(1.0, (step - step0 + 1) / a.warmup) if fresh_opt else a.lr
        for g in opt.param_groups:
            g["lr"] = group_lr(g, lr, step)  # a grown network's new parameters warm up from the growth step
        use_photo = rng.random(a.bs) < a.photo_frac
        if a.recipe == "v2":
            idx = [int(photo_idx[rng.integers(0, len(photo_idx))]) if (p and len(photo_idx)) or not len(proc_idx)
                   else int(proc_idx[rng.integers(0, len(proc_idx))]) for p in use_photo]
        else:
            idx = [int(rng.choice(photo_idx, p=pw)) if (p and len(photo_idx)) or not len(proc_idx)
                   else int(proc_idx[rng.integers(0, len(proc_idx))]) for p in use_photo]
        z0, zm, dm, om, ids = sample_crops(tr, idx, dmb, cs, H, scale, rng)
        if a.recipe == "v2":
            loss = diffusion_loss(un, te(ids), z0, zm, dm, om, ac, rng)
        else:
            loss, l2 = loss_v3(un, te(ids), z0, zm, dm, om, ac, rng, a.defect_share, a.min_snr)
            losses2.append(l2)
        opt.zero_grad(); loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        now = time.time()
        hours += (now - t_last) / 3600
        t_last = now
        losses.append(loss.item())
        d = a.ema
        with torch.no_grad():
            for m, e in ((te, ema_te), (un, ema_un)):
                for p, q in zip(m.parameters(), e.parameters()):
                    q.mul_(d).add_(p.detach(), alpha=1 - d)
        if step % 50 == 0:
            extra_l = " (v2-weighted %.4f)" % float(np.mean(losses2[-50:])) if losses2 else ""
            log("step %d lr %.1e loss %.4f%s (mean of last 50) %.2f s/step" % (step, lr, float(np.mean(losses[-50:])), extra_l,
                                                                       (now - t_end + a.minutes * 60) / max(step - step0, 1)))
        if now - t_save > a.save_every * 60:
            extra = dict(hours=hours, v1_steps=v1_steps, loss50=float(np.mean(losses[-50:])), recipe=a.recipe,
                         recipe_start=recipe_start)
            save_ckpt(ck, te=te.state_dict(), unet=un.state_dict(), opt=opt.state_dict(), ema_te=ema_te.state_dict(),
                      ema_unet=ema_un.state_dict(), step=step, latent_scale=scale, hours=hours, recipe_start=recipe_start,
                      unet_arch=un.arch, grown=s.get("grown", []) if s is not None else [])
            save_compact(os.path.join(RUNS, "compact.pt"), ema_te, ema_un, step, scale, extra)
            t_save = time.time()
            log("ckpt step %d (%.2f h of photo training since v1)" % (step, hours))
    extra = dict(hours=hours, v1_steps=v1_steps, loss50=float(np.mean(losses[-50:])) if losses else None, recipe=a.recipe,
                 recipe_start=recipe_start)
    save_ckpt(ck, te=te.state_dict(), unet=un.state_dict(), opt=opt.state_dict(), ema_te=ema_te.state_dict(),
              ema_unet=ema_un.state_dict(), step=step, latent_scale=scale, hours=hours, recipe_start=recipe_start,
              unet_arch=un.arch, grown=s.get("grown", []) if s is not None else [])
    save_compact(os.path.join(RUNS, "compact.pt"), ema_te, ema_un, step, scale, extra)
    log("done step %d" % step)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage", default="unet", choices=["cache", "unet"])
    ap.add_argument("--seed", type=int, default=4321)
    ap.add_argument("--minutes", type=float, default=600)
    ap.add_argument("--save-every", type=float, default=4)
    ap.add_argument("--cache-photo", type=int, default=100000)
    ap.add_argument("--cache-proc", type=int, default=1500)
    ap.add_argument("--cache-trimap", type=int, default=100000, help="v4: user-style trimap samples in the latent cache")
    ap.add_argument("--trimap-cache", default="photo_trimap_train",
                    help="v4: the trimap part's photo cache (name under tools/data/cache, e.g. photo_trimap_train_b)")
    ap.add_argument("--parts", default=None, help="v4 cache: encode only these parts (comma-separated cache names)")
    ap.add_argument("--cache-crop", type=int, default=128)
    ap.add_argument("--bs", type=int, default=32)
    ap.add_argument("--crop", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--ema", type=float, default=0.998)
    ap.add_argument("--photo-frac", type=float, default=0.8)
    ap.add_argument("--recipe", default="v2", choices=["v2", "v3", "v4"])
    ap.add_argument("--defect-share", type=float, default=0.5, help="v3: share of each sample's loss on its defect cells")
    ap.add_argument("--min-snr", type=float, default=5.0, help="v3: min-SNR gamma (0 = off)")
    ap.add_argument("--type-weights", default=TYPE_WEIGHTS_V3, help="v3: sampling weights of the photo samples' types")
    ap.add_argument("--dilate-p", type=float, default=None, help="cache: share of samples whose conditioning mask is "
                    "dilated (v3 default 0.5, v2 0)")
    ap.add_argument("--dilate-max", type=int, default=4, help="cache: dilation of 1..N pixels")
    a = ap.parse_args()
    if a.dilate_p is None:
        a.dilate_p = 0.5 if a.recipe in ("v3", "v4") else 0.0
    use_recipe(a.recipe)
    os.makedirs(RUNS, exist_ok=True)
    {"cache": stage_cache, "unet": stage_unet}[a.stage](a)


if __name__ == "__main__":
    main()
