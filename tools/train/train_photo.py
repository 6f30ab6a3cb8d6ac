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
from models import VAE, TextEncoder, UNet, VAE_F  # noqa: E402
import vocab as V  # noqa: E402
import contextnorm as CN  # noqa: E402
from train import to_t, cond_maps, sd_alphas_cumprod, save_ckpt, sample_crops, diffusion_loss  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
RUNS = os.path.join(os.environ.get("DS_RUNS", os.path.join(HERE, "runs")), "v2")
CACHE = os.path.join(HERE, "..", "data", "cache")
PACK_V1 = os.path.join(ROOT, "public", "models", "ds-surface-v1")
COMPACT = os.path.join(HERE, "checkpoints", "ds-surface-v2-ema.pt")


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


def stage_cache(a):
    """Encode a CROP x CROP window around each defect, context-normalised, for photo and procedural samples."""
    vae, scale = load_vae_frozen()
    parts = []
    for name, n in (("photo_train", a.cache_photo), ("train", a.cache_proc)):
        p = os.path.join(CACHE, name + ".npz")
        if n <= 0 or not os.path.exists(p):
            continue
        d = dict(np.load(p))
        parts.append((name, d, min(n, len(d["ok"]))))
    C = a.cache_crop
    rng = np.random.default_rng(a.seed + 7)
    out = {k: [] for k in ("z", "zm", "dm", "om", "dtype", "family", "photo")}
    t0 = time.time()
    for name, d, n in parts:
        bads, oks, ms, os_ = [], [], [], []
        for i in range(n):
            g = CN.gains_u8(d["ok"][i], d["mask"][i], d["obj"][i])  # stats over the whole 256 crop, as the app does
            ys, xs = np.nonzero(d["mask"][i])
            k = rng.integers(0, len(ys))
            cy = int(np.clip(ys[k] - C // 2 + rng.integers(-C // 4, C // 4 + 1), 0, 256 - C)) // 4 * 4
            cx = int(np.clip(xs[k] - C // 2 + rng.integers(-C // 4, C // 4 + 1), 0, 256 - C)) // 4 * 4
            sl = (slice(cy, cy + C), slice(cx, cx + C))
            bads.append(d["defect"][i][sl]); oks.append(d["ok"][i][sl]); ms.append(d["mask"][i][sl]); os_.append(d["obj"][i][sl])
            out["dtype"].append(int(d["dtype"][i])); out["family"].append(int(d["family"][i]))
            out["photo"].append(name == "photo_train")
            if i % 16 == 15 or i == n - 1:
                j0 = i - len(bads) + 1
                gs = torch.from_numpy(np.stack([CN.gains_u8(d["ok"][j], d["mask"][j], d["obj"][j]) for j in range(j0, i + 1)]))
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
    res = {"train": {"z": torch.cat(out["z"]), "zm": torch.cat(out["zm"]), "dm": torch.cat(out["dm"]), "om": torch.cat(out["om"]),
                     "dtype": torch.tensor(out["dtype"]), "family": torch.tensor(out["family"]), "photo": torch.tensor(out["photo"])},
           "latent_scale": scale}
    torch.save(res, os.path.join(RUNS, "latents.pt"))
    log("cache: %d latents in %.0fs (latent std %.3f, scale %.4f)" % (len(res["train"]["z"]), time.time() - t0,
                                                                       res["train"]["z"].float().std().item(), scale))


def init_models():
    """(te, un, ema_te, ema_un, step, source) from the best available starting point (module docstring)."""
    te, un = TextEncoder(len(V.VOCAB)), UNet()
    ema_te, ema_un = TextEncoder(len(V.VOCAB)), UNet()
    if os.path.exists(COMPACT):
        c = torch.load(COMPACT)
        if c.get("vocab") != V.VOCAB:
            raise SystemExit("the compact checkpoint's vocabulary differs from vocab.py: remap before resuming")
        for m in (te, ema_te):
            m.load_state_dict({k: v.float() for k, v in c["te"].items()})
        for m in (un, ema_un):
            m.load_state_dict({k: v.float() for k, v in c["unet"].items()})
        return te, un, ema_te, ema_un, int(c["step"]), "compact checkpoint %s" % os.path.relpath(COMPACT, ROOT)
    from from_onnx import load_pack_weights, remap_text_encoder
    _, te1, un1, _, vocab1 = load_pack_weights(PACK_V1)
    te2 = remap_text_encoder(te1, vocab1, V.WORD2ID)
    for m in (te, ema_te):
        m.load_state_dict(te2.state_dict())
    for m in (un, ema_un):
        m.load_state_dict(un1.state_dict())
    return te, un, ema_te, ema_un, 0, "ds-surface-v1 ONNX weights"


def save_compact(path, ema_te, ema_un, step, scale, extra):
    save_ckpt(path, te={k: v.half() for k, v in ema_te.state_dict().items()},
              unet={k: v.half() for k, v in ema_un.state_dict().items()}, vocab=V.VOCAB, step=step, latent_scale=scale,
              context_norm=True, **extra)


def stage_unet(a):
    torch.manual_seed(a.seed)
    L = torch.load(os.path.join(RUNS, "latents.pt"))
    tr, scale = L["train"], L["latent_scale"]
    N = len(tr["z"])
    photo_idx = torch.nonzero(tr["photo"]).flatten().numpy()
    proc_idx = torch.nonzero(~tr["photo"]).flatten().numpy()
    ck = os.path.join(RUNS, "unet.pt")
    te, un, ema_te, ema_un, step, source = init_models()
    params = list(te.parameters()) + list(un.parameters())
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0.0)
    hours = 0.0
    v1_steps = 2350
    if os.path.exists(ck):
        s = torch.load(ck)
        te.load_state_dict(s["te"]); un.load_state_dict(s["unet"]); opt.load_state_dict(s["opt"])
        ema_te.load_state_dict(s["ema_te"]); ema_un.load_state_dict(s["ema_unet"]); step = s["step"]
        hours = s.get("hours", 0.0)
        source = "full checkpoint %s" % os.path.relpath(ck, ROOT)
    elif os.path.exists(COMPACT):
        hours = float(torch.load(COMPACT).get("hours", 0.0))
    rng = np.random.default_rng([a.seed, step])
    log("start at step %d from %s; %d latents (%d photo, %d procedural); unet %.2fM text %.2fM; lr %.1e" % (
        step, source, N, len(photo_idx), len(proc_idx), sum(p.numel() for p in un.parameters()) / 1e6,
        sum(p.numel() for p in te.parameters()) / 1e6, a.lr))
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
        lr = a.lr * min(1.0, (step - step0 + 1) / a.warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        use_photo = rng.random(a.bs) < a.photo_frac
        idx = [int(photo_idx[rng.integers(0, len(photo_idx))]) if (p and len(photo_idx)) or not len(proc_idx)
               else int(proc_idx[rng.integers(0, len(proc_idx))]) for p in use_photo]
        z0, zm, dm, om, ids = sample_crops(tr, idx, dmb, cs, H, scale, rng)
        loss = diffusion_loss(un, te(ids), z0, zm, dm, om, ac, rng)
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
            log("step %d lr %.1e loss %.4f (mean of last 50) %.2f s/step" % (step, lr, float(np.mean(losses[-50:])),
                                                                       (now - t_end + a.minutes * 60) / max(step - step0, 1)))
        if now - t_save > a.save_every * 60:
            extra = dict(hours=hours, v1_steps=v1_steps, loss50=float(np.mean(losses[-50:])))
            save_ckpt(ck, te=te.state_dict(), unet=un.state_dict(), opt=opt.state_dict(), ema_te=ema_te.state_dict(),
                      ema_unet=ema_un.state_dict(), step=step, latent_scale=scale, hours=hours)
            save_compact(os.path.join(RUNS, "compact.pt"), ema_te, ema_un, step, scale, extra)
            t_save = time.time()
            log("ckpt step %d (%.2f h of v2 training)" % (step, hours))
    extra = dict(hours=hours, v1_steps=v1_steps, loss50=float(np.mean(losses[-50:])) if losses else None)
    save_ckpt(ck, te=te.state_dict(), unet=un.state_dict(), opt=opt.state_dict(), ema_te=ema_te.state_dict(),
              ema_unet=ema_un.state_dict(), step=step, latent_scale=scale, hours=hours)
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
    ap.add_argument("--cache-crop", type=int, default=128)
    ap.add_argument("--bs", type=int, default=32)
    ap.add_argument("--crop", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--ema", type=float, default=0.998)
    ap.add_argument("--photo-frac", type=float, default=0.8)
    a = ap.parse_args()
    os.makedirs(RUNS, exist_ok=True)
    {"cache": stage_cache, "unet": stage_unet}[a.stage](a)


if __name__ == "__main__":
    main()
