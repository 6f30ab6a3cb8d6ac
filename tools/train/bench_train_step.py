"""Training step time of grown UNets (grow.py) beside the network they grew from, in ONE run, interleaved (this machine
is noisy: compare ratios within a run).

  DS_THREADS=1 nice -n 10 /usr/bin/python3 tools/train/bench_train_step.py --ckpt tools/train/checkpoints/ds-surface-v3-ema.pt \
      --latents tools/train/runs/v3/latents.pt [--archs 1:1:0,2:1:0,2:2:0] [--rounds 4] [--steps 5]
  -> bench/results/train-step-growth.json and a table.
An arch is blocks_per_level:mid_blocks:extra_attn, blocks_per_level N or N1-N2-N3 (e.g. 1-1-2:2:0). Each step is train_photo.py's v3 step: a batch of 32 latent crops
(32x32), text encoder + UNet forward, the v3 loss, backward, gradient clipping, AdamW, EMA update of both networks.
Every arch sees the same batches (same seeds), one step each in turn. The first step of each arch is a warm-up and is not counted.
"""
import argparse, json, os, sys, time
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "data"))
torch.set_num_threads(int(os.environ.get("DS_THREADS", "2")))
from models import TextEncoder, unet_from_arch  # noqa: E402
from grow import grow_unet, unet_macs  # noqa: E402
from train import sample_crops, sd_alphas_cumprod  # noqa: E402
from train_photo import loss_v3  # noqa: E402
import vocab as V  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(HERE, "checkpoints", "ds-surface-v3-ema.pt"))
    ap.add_argument("--latents", default=os.path.join(HERE, "runs", "v3", "latents.pt"))
    ap.add_argument("--archs", default="1:1:0,2:1:0,2:2:0,3:1:0")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--bs", type=int, default=32)
    ap.add_argument("--crop", type=int, default=32)
    a = ap.parse_args()
    c = torch.load(a.ckpt)
    L = torch.load(a.latents)
    tr, scale = L["train"], L["latent_scale"]
    dmb = tr["dm"][:, 0] > 0
    H = tr["z"].shape[-1]
    ac = sd_alphas_cumprod()
    base = unet_from_arch(c.get("unet_arch"))
    base.load_state_dict({k: v.float() for k, v in c["unet"].items()})
    nets = []
    for spec in a.archs.split(","):
        b, m, x = spec.split(":")
        b, m, x = [int(v) for v in b.split("-")], int(m), int(x)
        b = b * 3 if len(b) == 1 else b
        te, ema_te = TextEncoder(len(V.VOCAB)), TextEncoder(len(V.VOCAB))
        te.load_state_dict({k: v.float() for k, v in c["te"].items()})
        ema_te.load_state_dict(te.state_dict())
        un = grow_unet(base, 0, blocks_per_level=b, mid_blocks=m, extra_attn=bool(x))
        ema_un = grow_unet(base, 0, blocks_per_level=b, mid_blocks=m, extra_attn=bool(x))
        params = list(te.parameters()) + list(un.parameters())
        nets.append(dict(spec=spec, arch=un.arch, params=sum(p.numel() for p in un.parameters()), te=te, un=un, ema_te=ema_te,
                         ema_un=ema_un, plist=params, opt=torch.optim.AdamW(params, lr=2e-4, weight_decay=0.0), times=[], losses=[]))

    def step(n, seed):
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, len(tr["z"]), a.bs)
        z0, zm, dm, om, ids = sample_crops(tr, idx, dmb, a.crop, H, scale, rng)
        torch.manual_seed(seed)
        t0 = time.perf_counter()
        loss, _ = loss_v3(n["un"], n["te"](ids), z0, zm, dm, om, ac, rng, 0.5, 5.0)
        n["opt"].zero_grad(); loss.backward()
        torch.nn.utils.clip_grad_norm_(n["plist"], 1.0)
        n["opt"].step()
        with torch.no_grad():
            for m, e in ((n["te"], n["ema_te"]), (n["un"], n["ema_un"])):
                for p, q in zip(m.parameters(), e.parameters()):
                    q.mul_(0.998).add_(p.detach(), alpha=0.002)
        return time.perf_counter() - t0, float(loss)

    for n in nets:
        step(n, 0)  # warm-up
    for r in range(a.rounds):
        for k in range(a.steps):  # step by step in turn: a load change hits every arch alike
            for n in nets:
                dt, l = step(n, 1000 * r + k + 1)
                n["times"].append(dt); n["losses"].append(l)
        print("round %d: " % r + "  ".join("%s %.2fs" % (n["spec"], np.median(n["times"][-a.steps:])) for n in nets), flush=True)
    b = float(np.median(nets[0]["times"]))
    m64, m32 = unet_macs(nets[0]["arch"], 64), unet_macs(nets[0]["arch"], a.crop)
    rows = [dict(arch=n["spec"], unet_params_M=round(n["params"] / 1e6, 3), s_per_step=round(float(np.median(n["times"])), 3),
                 ratio=round(float(np.median(n["times"])) / b, 3), loss_mean=round(float(np.mean(n["losses"])), 4),
                 macs_ratio_train=round(unet_macs(n["arch"], a.crop) / m32, 3), macs_ratio_64=round(unet_macs(n["arch"], 64) / m64, 3))
            for n in nets]
    out = dict(threads=torch.get_num_threads(), bs=a.bs, crop=a.crop, rounds=a.rounds, steps=a.steps, loadavg=os.getloadavg(),
               at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), ckpt=os.path.relpath(a.ckpt, ROOT), rows=rows,
               raw={n["spec"]: n["times"] for n in nets})
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    json.dump(out, open(os.path.join(ROOT, "bench", "results", "train-step-growth.json"), "w"), indent=1)
    print("%-11s %8s %10s %7s %9s %12s %14s" % ("arch", "params M", "s / step", "ratio", "loss", "MACs ratio", "MACs ratio 64"))
    for r in rows:
        print("%-11s %8.3f %10.3f %7.3f %9.4f %12.3f %14.3f" % (r["arch"], r["unet_params_M"], r["s_per_step"], r["ratio"],
                                                          r["loss_mean"], r["macs_ratio_train"], r["macs_ratio_64"]))
    print("load average", " ".join("%.1f" % v for v in os.getloadavg()))


if __name__ == "__main__":
    main()
