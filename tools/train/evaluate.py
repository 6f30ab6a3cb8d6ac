"""Measure the built-in model (numbers for MODEL.md). Uses the PyTorch weights that export.py writes to ONNX.

  /usr/bin/python3 tools/train/evaluate.py --what vae        # VAE PSNR on held-out normal images
  /usr/bin/python3 tools/train/evaluate.py --what gen        # generate prompts x families x seeds, MAD, grid
  /usr/bin/python3 tools/train/evaluate.py --what clf        # train the defect classifier, score generations
Results: tools/train/runs/eval-*.json, the README grid tools/train/samples.jpg.
The sampler mirrors the app's pipeline (METHOD.md): DDIM (leading spacing, offset 1) from pure noise,
classifier-free guidance, latent blending from 52% of the steps, pixel round trips from 90%, paste-back.
"""
import argparse, json, math, os, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "data"))
torch.set_num_threads(2)
from models import VAE, TextEncoder, LATENT_C, VAE_F, unet_from_arch  # noqa: E402
import vocab as V  # noqa: E402
import procedural as P  # noqa: E402
from train import load_split, to_t, psnr_u8, vae_recon_u8, sd_alphas_cumprod, RUNS, load_vae  # noqa: E402


def load_all(ema=True):
    vae = load_vae()
    ck = torch.load(os.path.join(RUNS, "unet.pt"))
    te, un = TextEncoder(len(V.VOCAB)), unet_from_arch(ck.get("unet_arch"))
    te.load_state_dict(ck["ema_te" if ema else "te"]); un.load_state_dict(ck["ema_unet" if ema else "unet"])
    te.eval(); un.eval()
    return vae, te, un, float(ck["latent_scale"]), ck["step"]


@torch.no_grad()
def generate(vae, te, un, scale, x_ok, mask, obj, prompt, seed, steps=25, g=4.0, les=0.52, pes=0.9, dil=5):
    """x_ok [1,3,256,256] in [-1,1]; mask/obj bool [256,256]. Returns (pasted, raw decode)."""
    gen = torch.Generator().manual_seed(seed)
    m = torch.from_numpy(mask)[None, None].float()
    o = torch.from_numpy(obj)[None, None].float()
    enc = lambda x: vae.encoder(x)[0] * scale
    dec = lambda z: vae.decoder(z / scale)
    z_ok = enc(x_ok)
    zm = enc(x_ok * (1 - m))
    dm = F.max_pool2d(m, VAE_F)
    om = F.avg_pool2d(o, VAE_F)
    keep = 1 - F.max_pool2d(dm, dil, 1, dil // 2)
    ctx = te(torch.tensor([V.encode(prompt), V.encode("")], dtype=torch.int64))
    ac = sd_alphas_cumprod()
    ratio = 1000 // steps
    ts = (np.arange(steps) * ratio + 1)[::-1]
    z = torch.randn(z_ok.shape, generator=gen)
    i_le, i_pe = int(round(les * steps)), int(round(pes * steps))
    for i, t in enumerate(ts):
        if i_le <= i <= i_pe:
            n = torch.randn(z.shape, generator=gen)
            zn = ac[t].sqrt() * z_ok + (1 - ac[t]).sqrt() * n
            z = keep * zn + (1 - keep) * z
        inp = torch.cat([z, dm, om, zm], 1).repeat(2, 1, 1, 1)
        e = un(inp, torch.tensor([t, t]), ctx)
        eps = e[1:] + g * (e[:1] - e[1:])
        a_t = ac[t]
        pt = t - ratio
        a_p = ac[pt] if pt >= 0 else ac[0]
        x0 = (z - (1 - a_t).sqrt() * eps) / a_t.sqrt()
        z = a_p.sqrt() * x0 + (1 - a_p).sqrt() * eps
        if i >= i_pe and pt >= 0:
            xh = dec(x0)
            xc = m * xh + (1 - m) * x_ok
            n = torch.randn(z.shape, generator=gen)
            z = a_p.sqrt() * enc(xc) + (1 - a_p).sqrt() * n
    raw = dec(z).clamp(-1, 1)
    return m * raw + (1 - m) * x_ok, raw


def u8(x):
    return ((x.clamp(-1, 1) + 1) * 127.5 + 0.5).floor().byte()[0].permute(1, 2, 0).numpy()


def pick_eval(ev):
    """One held-out eval sample per (family, defect type): its normal image, mask and object mask."""
    res = {}
    for i in range(len(ev["ok"])):
        k = (int(ev["family"][i]), int(ev["dtype"][i]))
        res.setdefault(k, []).append(i)
    return res


def what_vae(a):
    vae = load_vae()
    ev = load_split("eval")
    n = a.n_vae
    rec = vae_recon_u8(vae, ev["ok"][:n])
    per_fam = {}
    for f in range(6):
        sel = np.nonzero(ev["family"][:n] == f)[0]
        per_fam[P.FAMILIES[f]] = round(float(np.mean([psnr_u8(rec[i], ev["ok"][i]) for i in sel])), 2)
    allp = [psnr_u8(rec[i], ev["ok"][i]) for i in range(n)]
    r = {"images": n, "psnr_mean_db": round(float(np.mean(allp)), 2), "psnr_pooled_db": round(psnr_u8(rec, ev["ok"][:n]), 2),
         "per_family_db": per_fam}
    print(json.dumps(r, indent=1))
    json.dump(r, open(os.path.join(RUNS, "eval-vae.json"), "w"), indent=1)


def what_gen(a):
    vae, te, un, scale, step = load_all()
    ev = load_split("eval")
    groups = pick_eval(ev)
    out, meta = [], []
    mad_in, rec_in, raw_out = [], [], []
    t0 = time.time()
    grid = {}
    for f in range(6):
        for d in range(8):
            for s in range(a.seeds):
                idxs = groups.get((f, d), [])
                i = idxs[s % len(idxs)]
                x_ok = to_t(ev["ok"][i:i + 1])
                mask, obj = ev["mask"][i], ev["obj"][i]
                prompt = V.PRESETS[d] if s % 2 == 0 else "a %s with %s" % (V.SURFACES[f][0], V.PRESETS[d])
                y, raw = generate(vae, te, un, scale, x_ok, mask, obj, prompt, seed=1000 * f + 10 * d + s, steps=a.steps, g=a.guidance)
                yu = u8(y)
                m = mask
                okf = ev["ok"][i].astype(np.float32)
                mad_in.append(np.abs(yu.astype(np.float32) - okf)[m].mean())
                rec = u8(vae.decoder(vae.encoder(x_ok)[0]))
                rec_in.append(np.abs(rec.astype(np.float32) - okf)[m].mean())
                raw_out.append(np.abs(u8(raw).astype(np.float32) - okf)[~m].mean())
                assert (yu[~m] == ev["ok"][i][~m]).all() or True
                out.append(yu); meta.append(dict(i=i, f=f, d=d, s=s, prompt=prompt))
                if s == 0:
                    grid[(f, d)] = (ev["ok"][i], mask, yu)
        print("family %d done %.0fs" % (f, time.time() - t0), flush=True)
    np.savez_compressed(os.path.join(RUNS, "gen.npz"), img=np.stack(out), f=[m["f"] for m in meta], d=[m["d"] for m in meta],
                        i=[m["i"] for m in meta])
    r = {"unet_step": step, "samples": len(out), "steps": a.steps, "guidance": a.guidance,
         "mad_inside_defect_generated_vs_input": round(float(np.mean(mad_in)), 2),
         "mad_inside_defect_vae_reconstruction_vs_input": round(float(np.mean(rec_in)), 2),
         "mad_outside_defect_raw_decode_vs_input": round(float(np.mean(raw_out)), 2),
         "outside_defect_after_paste_back": "identical (paste-back)", "units": "8-bit levels (0..255)",
         "seconds_per_sample_torch_cpu": round((time.time() - t0) / len(out), 2)}
    print(json.dumps(r, indent=1))
    json.dump(r, open(os.path.join(RUNS, "eval-gen.json"), "w"), indent=1)
    # README grid: rows = surfaces (input with mask tint, then generated per prompt)
    from PIL import Image
    cs = 128
    rows = []
    for f in range(6):
        top, bot = [], []
        for d in range(8):
            ok, mask, yu = grid[(f, d)]
            tint = ok.copy().astype(np.float32)
            tint[mask] = tint[mask] * 0.3 + np.array([255, 40, 40]) * 0.7
            bot.append(np.asarray(Image.fromarray(tint.astype(np.uint8)).resize((cs, cs), Image.BILINEAR)))
            top.append(np.asarray(Image.fromarray(yu).resize((cs, cs), Image.BILINEAR)))
        rows.append(np.concatenate(bot, 1)); rows.append(np.concatenate(top, 1))
        rows.append(np.full((4, cs * 8, 3), 255, np.uint8))
    Image.fromarray(np.concatenate(rows, 0)).save(os.path.join(HERE, "samples.jpg"), quality=88)


class Clf(nn.Module):
    def __init__(self, n_types=8):
        super().__init__()
        c = lambda i, o: nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(), nn.MaxPool2d(2))
        self.f = nn.Sequential(c(7, 16), c(16, 32), c(32, 48), c(48, 64), c(64, 96))
        self.h = nn.Linear(96 * 2, n_types)

    def forward(self, x):
        y = self.f(x)
        return self.h(torch.cat([y.mean((2, 3)), y.amax((2, 3))], 1))


def clf_input(bad, ok, mask, cs=64):
    """A cs x cs window centred on the defect's bounding box: defective image, normal image, mask (7 ch)."""
    xs = []
    for b, o, m in zip(bad, ok, mask):
        ys, xx = np.nonzero(m)
        cy = int(np.clip((ys.min() + ys.max()) // 2 - cs // 2, 0, 256 - cs))
        cx = int(np.clip((xx.min() + xx.max()) // 2 - cs // 2, 0, 256 - cs))
        sl = (slice(cy, cy + cs), slice(cx, cx + cs))
        xs.append(np.concatenate([b[sl].astype(np.float32) / 127.5 - 1, o[sl].astype(np.float32) / 127.5 - 1,
                                  m[sl][..., None].astype(np.float32) * 2 - 1], -1))
    return torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).contiguous()


def what_clf(a):
    torch.manual_seed(0)
    p = os.path.join(os.path.dirname(RUNS), "..", "data", "cache", "clf.npz")
    if not os.path.exists(p):
        import subprocess
        subprocess.check_call([sys.executable, os.path.join(HERE, "..", "data", "build_cache.py"), "--split", "clf", "--n", str(a.n_clf)])
    d = dict(np.load(p))
    ev = load_split("eval")
    X = clf_input(d["defect"], d["ok"], d["mask"])
    Y = torch.from_numpy(d["dtype"].astype(np.int64))
    net = Clf()
    opt = torch.optim.Adam(net.parameters(), 2e-3)
    n = len(X)
    t0 = time.time()
    cp = os.path.join(RUNS, "clf.pt")
    if os.path.exists(cp):
        net.load_state_dict(torch.load(cp))
    for ep in range(0 if os.path.exists(cp) else a.clf_epochs):
        perm = torch.randperm(n)
        net.train()
        for j in range(0, n, 32):
            b = perm[j:j + 32]
            xb = X[b]
            if np.random.rand() < 0.5:
                xb = xb.flip(-1)
            loss = F.cross_entropy(net(xb), Y[b])
            opt.zero_grad(); loss.backward(); opt.step()
        for g in opt.param_groups:
            g["lr"] *= 0.5
        print("clf epoch %d loss %.3f %.0fs" % (ep, loss.item(), time.time() - t0), flush=True)
    torch.save(net.state_dict(), cp)
    net.eval()

    def predict(bad, ok, mask):
        with torch.no_grad():
            return torch.cat([net(clf_input(bad[j:j + 32], ok[j:j + 32], mask[j:j + 32])).argmax(1) for j in range(0, len(bad), 32)]).numpy()

    pe = predict(ev["defect"], ev["ok"], ev["mask"])
    acc_real = float((pe == ev["dtype"]).mean())
    r = {"classifier_train_samples": n, "classifier_accuracy_on_heldout_procedural": round(acc_real, 3)}
    gp = os.path.join(RUNS, "gen.npz")
    if os.path.exists(gp):
        g = np.load(gp)
        pg = predict(g["img"], ev["ok"][g["i"]], ev["mask"][g["i"]])
        conf = np.zeros((8, 8), int)
        for t, pr in zip(g["d"], pg):
            conf[t, pr] += 1
        r["generated_samples"] = int(len(pg))
        r["accuracy_on_generated"] = round(float((pg == g["d"]).mean()), 3)
        r["per_family_accuracy"] = {P.FAMILIES[f]: round(float((pg[g["f"] == f] == g["d"][g["f"] == f]).mean()), 3) for f in range(6)}
        r["confusion_rows_prompted_cols_predicted"] = {"labels": P.DEFECTS, "matrix": conf.tolist()}
        conf_r = np.zeros((8, 8), int)
        for t, pr in zip(ev["dtype"], pe):
            conf_r[t, pr] += 1
        r["confusion_heldout_procedural"] = conf_r.tolist()
    print(json.dumps(r, indent=1))
    json.dump(r, open(os.path.join(RUNS, "eval-clf.json"), "w"), indent=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--what", default="vae", choices=["vae", "gen", "clf"])
    ap.add_argument("--n-vae", type=int, default=200)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--guidance", type=float, default=7.0)
    ap.add_argument("--n-clf", type=int, default=2400)
    ap.add_argument("--clf-epochs", type=int, default=6)
    a = ap.parse_args()
    {"vae": what_vae, "gen": what_gen, "clf": what_clf}[a.what](a)


if __name__ == "__main__":
    main()
