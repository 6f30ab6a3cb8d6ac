"""Train the built-in model on the CPU (Debian's PyTorch), seeded and resumable.

  /usr/bin/python3 tools/train/train.py --stage all          # data -> vae -> latent cache -> unet
  /usr/bin/python3 tools/train/train.py --stage vae --minutes 30
  /usr/bin/python3 tools/train/train.py --stage cache
  /usr/bin/python3 tools/train/train.py --stage unet --minutes 60
Runs and checkpoints go to tools/train/runs/ (ignored); re-running a stage resumes from its checkpoint.
Export afterwards: /usr/bin/python3 tools/train/export.py
"""
import argparse, math, os, sys, time, json
import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "data"))
NTHREADS = int(os.environ.get("DS_THREADS", "2"))  # 2 on an idle 2-core machine; 1 when the CPU is shared
os.environ.setdefault("OMP_NUM_THREADS", str(NTHREADS))
torch.set_num_threads(NTHREADS)
from models import VAE, TextEncoder, UNet, LATENT_C, VAE_F  # noqa: E402
import vocab as V  # noqa: E402

RUNS = os.environ.get("DS_RUNS", os.path.join(HERE, "runs"))
CACHE = os.path.join(HERE, "..", "data", "cache")


def log(name, msg):
    line = time.strftime("%H:%M:%S ") + msg
    print(line, flush=True)
    with open(os.path.join(RUNS, name + ".log"), "a") as f:
        f.write(line + "\n")


def load_split(split):
    p = os.path.join(CACHE, split + ".npz")
    if not os.path.exists(p):
        import subprocess
        n = 4000 if split == "train" else 400
        subprocess.check_call([sys.executable, os.path.join(HERE, "..", "data", "build_cache.py"), "--split", split, "--n", str(n)])
    return dict(np.load(p))


def to_t(u8):  # [N,H,W,3] uint8 -> [N,3,H,W] float in [-1,1]
    return torch.from_numpy(u8).permute(0, 3, 1, 2).float() / 127.5 - 1


def psnr_u8(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * math.log10(255 ** 2 / max(mse, 1e-10))


def vae_recon_u8(vae, u8, bs=8):
    out = []
    with torch.no_grad():
        for i in range(0, len(u8), bs):
            x = to_t(u8[i:i + bs])
            y = vae.decoder(vae.encoder(x)[0])
            out.append(((y.clamp(-1, 1) + 1) * 127.5 + 0.5).floor().byte().permute(0, 2, 3, 1).numpy())
    return np.concatenate(out)


def save_ckpt(path, **kw):
    tmp = path + ".tmp"
    torch.save(kw, tmp)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------- VAE
def stage_vae(a):
    name = "vae"
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    tr = load_split("train")
    ev = load_split("eval")
    imgs = np.concatenate([tr["ok"], tr["defect"]])
    vae = VAE()
    opt = torch.optim.Adam(vae.parameters(), lr=a.lr_vae)
    ck = os.path.join(RUNS, "vae.pt")
    step = 0
    if os.path.exists(ck):
        s = torch.load(ck)
        vae.load_state_dict(s["model"]); opt.load_state_dict(s["opt"]); step = s["step"]
        rng = np.random.default_rng([a.seed, step])
        log(name, "resumed at step %d" % step)
    t_end = time.time() + a.minutes * 60
    t_save = time.time()
    cs = a.vae_crop
    while time.time() < t_end and step < a.vae_steps:
        lr = a.lr_vae * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(step / a.vae_steps, 1))))
        for g in opt.param_groups:
            g["lr"] = lr
        idx = rng.integers(0, len(imgs), a.vae_bs)
        oy, ox = rng.integers(0, (256 - cs) // 4 + 1, 2) * 4
        x = to_t(imgs[idx, oy:oy + cs, ox:ox + cs])
        mean, logvar = vae.encoder(x)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)
        y = vae.decoder(z)
        l1 = (y - x).abs().mean()
        gx = lambda t: t[..., :, 1:] - t[..., :, :-1]
        gy = lambda t: t[..., 1:, :] - t[..., :-1, :]
        lg = (gx(y) - gx(x)).abs().mean() + (gy(y) - gy(x)).abs().mean()
        kl = 0.5 * (mean ** 2 + logvar.exp() - 1 - logvar).mean()
        loss = l1 + 0.5 * lg + a.kl * kl
        opt.zero_grad(); loss.backward(); opt.step()
        step += 1
        if step % 50 == 0:
            log(name, "step %d lr %.2e l1 %.4f grad %.4f kl %.3f" % (step, lr, l1.item(), lg.item(), kl.item()))
        if time.time() - t_save > a.save_every * 60:
            save_ckpt(ck, model=vae.state_dict(), opt=opt.state_dict(), step=step)
            t_save = time.time()
            rec = vae_recon_u8(vae, ev["ok"][:32])
            log(name, "ckpt step %d eval PSNR(normal, 32 imgs) %.2f dB" % (step, psnr_u8(rec, ev["ok"][:32])))
    save_ckpt(ck, model=vae.state_dict(), opt=opt.state_dict(), step=step)
    rec = vae_recon_u8(vae, ev["ok"][:64])
    log(name, "done step %d eval PSNR(normal, 64 imgs) %.2f dB" % (step, psnr_u8(rec, ev["ok"][:64])))


def stage_vaedec(a):
    """Fine-tune only the decoder (encoder frozen, so the latent space the UNet learned stays valid)."""
    name = "vaedec"
    rng = np.random.default_rng(a.seed + 11)
    tr = load_split("train")
    ev = load_split("eval")
    imgs = np.concatenate([tr["ok"], tr["defect"]])
    vae = VAE()
    ck = os.path.join(RUNS, "vae.pt")
    s = torch.load(ck)
    vae.load_state_dict(s["model"])
    step = s.get("dec_step", 0)
    for p in vae.encoder.parameters():
        p.requires_grad_(False)
    opt = torch.optim.Adam(vae.decoder.parameters(), lr=a.lr_dec)
    if "dec_opt" in s:
        opt.load_state_dict(s["dec_opt"])
    t_end = time.time() + a.minutes * 60
    t_save = time.time()
    cs = a.vae_crop
    while time.time() < t_end:
        idx = rng.integers(0, len(imgs), a.vae_bs)
        oy, ox = rng.integers(0, (256 - cs) // 4 + 1, 2) * 4
        x = to_t(imgs[idx, oy:oy + cs, ox:ox + cs])
        with torch.no_grad():
            z = vae.encoder(x)[0]
        y = vae.decoder(z)
        gx = lambda t: t[..., :, 1:] - t[..., :, :-1]
        gy = lambda t: t[..., 1:, :] - t[..., :-1, :]
        l1 = (y - x).abs().mean()
        loss = l1 + 0.5 * ((gx(y) - gx(x)).abs().mean() + (gy(y) - gy(x)).abs().mean()) + ((y - x) ** 2).mean()
        opt.zero_grad(); loss.backward(); opt.step()
        step += 1
        if step % 50 == 0:
            log(name, "dec step %d l1 %.4f" % (step, l1.item()))
        if time.time() - t_save > a.save_every * 60:
            s.update(model=vae.state_dict(), dec_opt=opt.state_dict(), dec_step=step)
            save_ckpt(ck, **s)
            t_save = time.time()
            rec = vae_recon_u8(vae, ev["ok"][:32])
            log(name, "ckpt dec step %d eval PSNR(normal, 32 imgs) %.2f dB" % (step, psnr_u8(rec, ev["ok"][:32])))
    s.update(model=vae.state_dict(), dec_opt=opt.state_dict(), dec_step=step)
    save_ckpt(ck, **s)


def load_vae():
    vae = VAE()
    vae.load_state_dict(torch.load(os.path.join(RUNS, "vae.pt"))["model"])
    vae.eval()
    for p in vae.parameters():
        p.requires_grad_(False)
    return vae


# ----------------------------------------------------------------------------------- latent cache
def cond_maps(mask, obj, f=VAE_F):
    """Exactly the pipeline's concat channels: max-pool defect mask, mean-pool object mask."""
    m = torch.from_numpy(mask).float()[:, None]
    o = torch.from_numpy(obj).float()[:, None]
    return F.max_pool2d(m, f), F.avg_pool2d(o, f)


def stage_cache(a):
    """Encode a CROP x CROP window around each training defect (the VAE is fully convolutional and norm-free,
    so a crop's latents equal the full image's away from the crop border; the UNet trains on 32x32 latent
    crops taken inside these windows)."""
    vae = load_vae()
    d = load_split("train")
    n = min(a.cache_n, len(d["ok"]))
    C = a.cache_crop
    rng = np.random.default_rng(a.seed + 7)
    bads, oks, ms, os_ = [], [], [], []
    for i in range(n):
        ys, xs = np.nonzero(d["mask"][i])
        k = rng.integers(0, len(ys))
        cy = int(np.clip(ys[k] - C // 2 + rng.integers(-C // 4, C // 4 + 1), 0, 256 - C)) // 4 * 4
        cx = int(np.clip(xs[k] - C // 2 + rng.integers(-C // 4, C // 4 + 1), 0, 256 - C)) // 4 * 4
        sl = (slice(cy, cy + C), slice(cx, cx + C))
        bads.append(d["defect"][i][sl]); oks.append(d["ok"][i][sl]); ms.append(d["mask"][i][sl]); os_.append(d["obj"][i][sl])
    bads, oks, ms, os_ = map(np.stack, (bads, oks, ms, os_))
    zs, zm = [], []
    t0 = time.time()
    with torch.no_grad():
        for i in range(0, n, 16):
            bad = to_t(bads[i:i + 16])
            ok = to_t(oks[i:i + 16])
            m = torch.from_numpy(ms[i:i + 16])[:, None]
            okm = torch.where(m, torch.zeros_like(ok), ok)
            zs.append(vae.encoder(bad)[0].half())
            zm.append(vae.encoder(okm)[0].half())
            if i % 320 == 0:
                log("cache", "%d/%d %.0fs" % (i, n, time.time() - t0))
    zs, zm = torch.cat(zs), torch.cat(zm)
    dm, om = cond_maps(ms, os_)
    out = {"train": dict(z=zs, zm=zm, dm=dm.half(), om=om.half(), dtype=torch.from_numpy(d["dtype"][:n].astype(np.int64)),
                         family=torch.from_numpy(d["family"][:n].astype(np.int64)))}
    std = zs.float().std().item()
    out["latent_scale"] = 1.0 / std
    log("cache", "%d latents in %.0fs; latent std %.4f -> latentScale %.4f" % (n, time.time() - t0, std, 1 / std))
    torch.save(out, os.path.join(RUNS, "latents.pt"))


# -------------------------------------------------------------------------------------- diffusion
def sample_crops(tr, idx, dmb, cs, H, scale, rng, prompt=None):
    """A training batch of latent crops around the defects of cache entries idx (random flips/transposes,
    10% empty prompts): z0, masked-image latent, defect mask, object mask (all [B,C,cs,cs]) and prompt ids.
    prompt(rng, i) -> token ids of entry i's prompt (default: vocab.random_prompt of its defect type and family)."""
    zs, zms, dms, oms, ids = [], [], [], [], []
    for i in idx:
        ys, xs = torch.nonzero(dmb[i], as_tuple=True)
        k = rng.integers(0, len(ys))
        cy = int(ys[k]) - cs // 2 + int(rng.integers(-cs // 4, cs // 4 + 1))
        cx = int(xs[k]) - cs // 2 + int(rng.integers(-cs // 4, cs // 4 + 1))
        cy, cx = min(max(cy, 0), H - cs), min(max(cx, 0), H - cs)
        sl = (slice(None), slice(cy, cy + cs), slice(cx, cx + cs))
        zz, zm, dm, om = tr["z"][i][sl], tr["zm"][i][sl], tr["dm"][i][sl], tr["om"][i][sl]
        if rng.random() < 0.5:
            zz, zm, dm, om = [t.flip(-1) for t in (zz, zm, dm, om)]
        if rng.random() < 0.5:
            zz, zm, dm, om = [t.transpose(-1, -2) for t in (zz, zm, dm, om)]
        zs.append(zz); zms.append(zm); dms.append(dm); oms.append(om)
        drop = rng.random() < 0.1
        if drop:
            ids.append(V.encode(""))
        elif prompt is not None:
            ids.append(prompt(rng, int(i)))
        else:
            ids.append(V.encode(V.random_prompt(rng, int(tr["dtype"][i]), int(tr["family"][i]))))
    z0 = torch.stack(zs).float() * scale
    zm = torch.stack(zms).float() * scale
    dm = torch.stack(dms).float()
    om = torch.stack(oms).float()
    ids = torch.tensor(ids, dtype=torch.int64)
    return z0, zm, dm, om, ids


def diffusion_loss(un, ctx, z0, zm, dm, om, ac, rng):
    """Epsilon-prediction loss of one batch (timesteps from rng), defect cells weighted 3x: what the model has to
    invent. ctx = the text encoder's output for the batch's prompts."""
    t = torch.from_numpy(rng.integers(0, 1000, len(z0))).long()
    noise = torch.randn_like(z0)
    acs = ac[t][:, None, None, None]
    zt = acs.sqrt() * z0 + (1 - acs).sqrt() * noise
    eps = un(torch.cat([zt, dm, om, zm], 1), t, ctx)
    w = 1 + 2 * F.max_pool2d(dm, 3, 1, 1)
    return ((eps - noise) ** 2 * w).mean() / w.mean()


def sd_alphas_cumprod():
    betas = torch.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=torch.float64) ** 2
    return torch.cumprod(1 - betas, 0).float()


def stage_unet(a):
    name = "unet"
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed + 1)
    L = torch.load(os.path.join(RUNS, "latents.pt"))
    tr, scale = L["train"], L["latent_scale"]
    N = len(tr["z"])
    te = TextEncoder(len(V.VOCAB))
    un = UNet()
    params = list(te.parameters()) + list(un.parameters())
    opt = torch.optim.AdamW(params, lr=a.lr_unet, weight_decay=0.0)
    ema_te, ema_un = TextEncoder(len(V.VOCAB)), UNet()
    ema_te.load_state_dict(te.state_dict()); ema_un.load_state_dict(un.state_dict())
    ck = os.path.join(RUNS, "unet.pt")
    step = 0
    if os.path.exists(ck):
        s = torch.load(ck)
        te.load_state_dict(s["te"]); un.load_state_dict(s["unet"]); opt.load_state_dict(s["opt"])
        ema_te.load_state_dict(s["ema_te"]); ema_un.load_state_dict(s["ema_unet"]); step = s["step"]
        rng = np.random.default_rng([a.seed, step])
        log(name, "resumed at step %d" % step)
    log(name, "params unet %.2fM text %.2fM, latentScale %.4f" % (sum(p.numel() for p in un.parameters()) / 1e6,
                                                               sum(p.numel() for p in te.parameters()) / 1e6, scale))
    ac = sd_alphas_cumprod()
    cs = a.crop
    H = tr["z"].shape[-1]
    # defect bounding boxes at latent resolution, to crop around the defect
    dmb = tr["dm"][:, 0] > 0
    t_end = time.time() + a.minutes * 60
    t_save = time.time()
    ema_decay = 0.999
    while time.time() < t_end and step < a.unet_steps:
        lr = a.lr_unet * min(1.0, (step + 1) / 300)
        for g in opt.param_groups:
            g["lr"] = lr
        idx = rng.integers(0, N, a.bs)
        z0, zm, dm, om, ids = sample_crops(tr, idx, dmb, cs, H, scale, rng)
        loss = diffusion_loss(un, te(ids), z0, zm, dm, om, ac, rng)
        opt.zero_grad(); loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        d = min(ema_decay, (1 + step) / (10 + step))
        with torch.no_grad():
            for m, e in ((te, ema_te), (un, ema_un)):
                for p, q in zip(m.parameters(), e.parameters()):
                    q.mul_(d).add_(p.detach(), alpha=1 - d)
        if step % 50 == 0:
            log(name, "step %d lr %.2e loss %.4f" % (step, lr, loss.item()))
        if time.time() - t_save > a.save_every * 60:
            save_ckpt(ck, te=te.state_dict(), unet=un.state_dict(), opt=opt.state_dict(), ema_te=ema_te.state_dict(),
                      ema_unet=ema_un.state_dict(), step=step, latent_scale=scale)
            t_save = time.time()
            log(name, "ckpt step %d" % step)
    save_ckpt(ck, te=te.state_dict(), unet=un.state_dict(), opt=opt.state_dict(), ema_te=ema_te.state_dict(),
              ema_unet=ema_un.state_dict(), step=step, latent_scale=scale)
    log(name, "done step %d" % step)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stage", default="all", choices=["all", "vae", "vaedec", "cache", "unet"])
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--save-every", type=float, default=3)
    ap.add_argument("--vae-steps", type=int, default=3000)
    ap.add_argument("--vae-bs", type=int, default=12)
    ap.add_argument("--vae-crop", type=int, default=96)
    ap.add_argument("--lr-vae", type=float, default=1e-3)
    ap.add_argument("--lr-dec", type=float, default=2e-4)
    ap.add_argument("--kl", type=float, default=1e-6)
    ap.add_argument("--cache-n", type=int, default=4000)
    ap.add_argument("--cache-crop", type=int, default=160)
    ap.add_argument("--unet-steps", type=int, default=20000)
    ap.add_argument("--bs", type=int, default=32)
    ap.add_argument("--crop", type=int, default=32)
    ap.add_argument("--lr-unet", type=float, default=5e-4)
    a = ap.parse_args()
    os.makedirs(RUNS, exist_ok=True)
    if a.stage in ("all", "vae"):
        stage_vae(a)
    if a.stage == "vaedec":
        stage_vaedec(a)
    if a.stage in ("all", "cache"):
        stage_cache(a)
    if a.stage in ("all", "unet"):
        stage_unet(a)


if __name__ == "__main__":
    main()
