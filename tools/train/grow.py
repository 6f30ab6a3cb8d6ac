"""Grow a trained UNet function-preservingly (deeper: more residual blocks a level / in the middle, optional extra
attention; models.UNet's `blocks_per_level`, `mid_blocks`, `extra_attn`) and keep training it.

  /usr/bin/python3 tools/train/grow.py --from tools/train/runs/v3/unet.pt --to tools/train/runs/v4/unet.pt --new-recipe \
      --blocks-per-level 1,1,2 --mid-blocks 2 [--extra-attn] [--warmup 200] [--latents runs/v3/latents.pt]
  then train_photo.py --stage unet --recipe v4 resumes runs/v4/unet.pt (its `unet_arch` says which network).

--from is a full checkpoint of train_photo.py (raw + EMA weights, AdamW state, step) or a compact one (EMA weights
fp16, as committed; written again as a compact one, e.g. for export.py --compact / probe.py). Both the raw and the EMA
UNet grow the same way (the new modules' random parts from torch seed --seed). The extra modules are the identity
when they are made (zero output projections), so the grown network's epsilon equals the old one's; this is checked
on a batch of real training latents (max |difference| must be < 1e-6; it is 0 in practice) before anything is written.

Optimiser: the AdamW state of every old parameter is kept (moments and step count: the trained network goes on as
if nothing happened); the new parameters get their own parameter group, with no state (Adam starts their moments
at the next step) and a linear warm-up of --warmup steps from the growth step (`warmup` / `warmup_start` in the
group; train_photo.py reads them through group_lr). A fresh optimiser for everything would re-warm the trained
weights (v2's resumes measured that cost); no warm-up at all would move every zero-initialised weight by a full
learning rate in its first Adam step (|update| = lr whatever the gradient's size).
"""
import argparse, os, sys, time
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "data"))
from models import TextEncoder, unet_from_arch  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def grow_unet(old, seed=0, **changes):
    """A UNet with old's weights and `changes` applied to its arch (only growing allowed); new parts are the identity."""
    arch = dict(old.arch)
    for k, v in changes.items():
        if v is None:
            continue
        if k not in ("blocks_per_level", "mid_blocks", "extra_attn"):
            raise ValueError("cannot grow %s" % k)
        if k == "blocks_per_level":
            v = list(v) if isinstance(v, (list, tuple)) else [v] * 3
            shrinks = len(v) != 3 or any(x < y for x, y in zip(v, arch[k]))
        else:
            shrinks = v < arch[k]
        if shrinks:
            raise ValueError("%s %s -> %s: a network can only grow" % (k, arch[k], v))
        arch[k] = v
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        new = unet_from_arch(arch)
    missing, unexpected = new.load_state_dict(old.state_dict(), strict=False)
    if unexpected:
        raise RuntimeError("the grown UNet lacks parameters of the old one: %s" % unexpected[:4])
    if set(missing) != set(new.state_dict()) - set(old.state_dict()):
        raise RuntimeError("parameters left uninitialised: %s" % sorted(set(missing) - (set(new.state_dict()) - set(old.state_dict())))[:4])
    return new


def param_names(te, un):
    """Names of the trained parameters in train_photo.py's order (text encoder, then UNet): the optimiser's keys."""
    return ["te." + n for n, _ in te.named_parameters()] + ["unet." + n for n, _ in un.named_parameters()]


def grow_optimizer_state(opt_sd, old_names, new_names, step, warmup):
    """AdamW state_dict after growth (module docstring). Groups carry their parameters' names ("names"); a state
    without them (before growth: one group, ids = positions in old_names) gets them. The kept groups and their
    state are unchanged; the parameters new in new_names form one more group with a warm-up from `step`."""
    groups = [dict(g) for g in opt_sd["param_groups"]]
    if not all("names" in g for g in groups):
        if len(groups) != 1 or groups[0]["params"] != list(range(len(old_names))):
            raise RuntimeError("the optimiser state does not cover the %d parameters in order" % len(old_names))
        groups[0]["names"] = list(old_names)
    have = {n for g in groups for n in g["names"]}
    if have != set(old_names):
        raise RuntimeError("the optimiser state's parameters are not the checkpoint's")
    fresh = [n for n in new_names if n not in have]
    start = 1 + max(i for g in groups for i in g["params"])
    g = {k: v for k, v in groups[0].items() if k not in ("params", "names", "warmup", "warmup_start")}
    g.update(params=list(range(start, start + len(fresh))), names=fresh, warmup=int(warmup), warmup_start=int(step))
    return {"state": opt_sd["state"], "param_groups": groups + [g]}


def make_optimizer(te, un, lr, saved=None):
    """AdamW over the text encoder's and the UNet's parameters, grouped as in a saved state (by the groups' parameter
    names: a grown network's new parameters have their own group), with that state loaded. saved None: one group.
    A saved state without names is one group in param_names' order (every checkpoint before growth)."""
    names = param_names(te, un)
    named = dict(zip(names, list(te.parameters()) + list(un.parameters())))
    if saved is None or not all("names" in g for g in saved["param_groups"]):
        groups = [{"params": list(named.values()), "names": names}]
    else:
        listed = [n for g in saved["param_groups"] for n in g["names"]]
        if sorted(listed) != sorted(names):
            raise RuntimeError("the optimiser state's parameters are not the model's (grow it with grow.py)")
        groups = [{"params": [named[n] for n in g["names"]], "names": list(g["names"])} for g in saved["param_groups"]]
    opt = torch.optim.AdamW(groups, lr=lr, weight_decay=0.0)
    if saved is not None:
        opt.load_state_dict(saved)
    return opt


def group_lr(g, lr, step):
    """The learning rate of one parameter group at `step` (the warm-up of a grown network's new parameters)."""
    if "warmup" in g:
        return lr * min(1.0, max(step - g["warmup_start"] + 1, 0) / max(g["warmup"], 1))
    return lr


def unet_macs(arch=None, hw=64):
    """Multiply-adds of one UNet evaluation (batch 1, hw x hw latents, 77 text tokens): convolutions, linear layers,
    attention products. A load-free measure of the compute a grown network adds (the machine's timings are noisy)."""
    import torch.nn as nn
    from models import CrossAttn
    un, tot = unet_from_arch(arch), [0]

    def conv(m, i, o):
        tot[0] += o.numel() * m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]

    def lin(m, i, o):
        tot[0] += o.numel() * m.in_features

    def att(m, i, o):
        B, C, H, W = i[0].shape
        tot[0] += B * H * W * 77 * C * 2 + (B * (H * W) ** 2 * C * 2 if m.self_attn else 0)
    for mod in un.modules():
        if isinstance(mod, nn.Conv2d):
            mod.register_forward_hook(conv)
        elif isinstance(mod, nn.Linear):
            mod.register_forward_hook(lin)
        elif isinstance(mod, CrossAttn):
            mod.register_forward_hook(att)
    with torch.no_grad():
        un(torch.zeros(1, 10, hw, hw), torch.tensor([500]), torch.zeros(1, 77, un.arch["dctx"]))
    return tot[0]


def check_batch(latents, n=8, seed=0, crop=32):
    """A batch of real training latents as train_photo.py builds it: (sample [n,10,crop,crop], t [n], ids [n,77])."""
    from train import sample_crops, sd_alphas_cumprod
    L = torch.load(latents)
    tr, scale = L["train"], L["latent_scale"]
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(tr["z"]), n, replace=False)
    z0, zm, dm, om, ids = sample_crops(tr, idx, tr["dm"][:, 0] > 0, min(crop, tr["z"].shape[-1]), tr["z"].shape[-1], scale, rng)
    t = torch.from_numpy(np.linspace(0, 999, n).round().astype(np.int64))
    ac = sd_alphas_cumprod()[t][:, None, None, None]
    g = torch.Generator().manual_seed(seed)
    zt = ac.sqrt() * z0 + (1 - ac).sqrt() * torch.randn(z0.shape, generator=g)
    return torch.cat([zt, dm, om, zm], 1), t, ids


@torch.no_grad()
def max_diff(te, old, new, batch):
    sample, t, ids = batch
    ctx = te(ids)
    old.eval(); new.eval()
    a, b = old(sample, t, ctx), new(sample, t, ctx)
    return float((a - b).abs().max()), float(a.abs().mean())


def load_te(sd, vocab_n):
    te = TextEncoder(vocab_n, d=sd["tok.weight"].shape[1], layers=len({k.split(".")[1] for k in sd if k.startswith("blocks.")}))
    te.load_state_dict({k: v.float() for k, v in sd.items()})
    return te


def grow_state(s, changes, seed=0, warmup=200, batch=None, tol=1e-6, log=print):
    """The grown checkpoint dict of checkpoint dict s (full or compact; module docstring), checked on batch
    (sample, t, ids) when given: raises if the grown network's epsilon differs by >= tol. Returns (dict, max diff)."""
    full = "opt" in s
    keys = (("unet", "te"), ("ema_unet", "ema_te")) if full else (("unet", "te"),)
    vocab_n = s[keys[0][1]]["tok.weight"].shape[0]
    out, d = dict(s), None
    for uk, tk in keys:
        old = unet_from_arch(s.get("unet_arch"))
        old.load_state_dict({k: v.float() for k, v in s[uk].items()})
        new = grow_unet(old, seed, **changes)
        if batch is not None:
            d, mag = max_diff(load_te(s[tk], vocab_n), old, new, batch)
            log("%s: %s -> %s, %.3fM -> %.3fM params; epsilon max |grown - old| = %.3g (mean |eps| %.3f) on %d latents"
                % (uk, old.arch, new.arch, sum(p.numel() for p in old.parameters()) / 1e6,
                   sum(p.numel() for p in new.parameters()) / 1e6, d, mag, len(batch[0])))
            if not d < tol:
                raise SystemExit("the grown network is not the same function (max diff %.3g >= %.3g): nothing written" % (d, tol))
        sd = new.state_dict()
        out[uk] = sd if full else {k: v.half() for k, v in sd.items()}
        if uk == "unet":
            te_ = load_te(s["te"], vocab_n)
            old_names, new_names = param_names(te_, old), param_names(te_, new)
    out["unet_arch"] = new.arch
    out["grown"] = list(s.get("grown", [])) + [{"step": int(s.get("step", -1)), "from": old.arch, "to": new.arch,
                                               "seed": seed, "max_diff": d, "warmup": warmup if full else None}]
    if full:
        out["opt"] = grow_optimizer_state(s["opt"], old_names, new_names, int(s["step"]), warmup)
    return out, d


def main():
    if sys.argv[1:2] == ["check"]:
        return self_check()
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="src", required=True)
    ap.add_argument("--to", dest="dst", required=True)
    ap.add_argument("--blocks-per-level", type=lambda t: [int(x) for x in t.split(",")], default=None,
                    help="N (every level) or N1,N2,N3 (full, 1/2, 1/4 resolution), e.g. 1,1,2")
    ap.add_argument("--mid-blocks", type=int, default=None)
    ap.add_argument("--extra-attn", action="store_true", default=None)
    ap.add_argument("--warmup", type=int, default=200, help="warm-up steps of the new parameters (full checkpoints)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--latents", default=None, help="latent cache for the check (default: latents.pt beside --from, "
                    "else runs/v3/latents.pt)")
    ap.add_argument("--new-recipe", action="store_true", help="the grown run is a new recipe's (e.g. v3 -> runs/v4): "
                    "its recipe_start becomes the growth step")
    ap.add_argument("--check-n", type=int, default=8)
    ap.add_argument("--tol", type=float, default=1e-6)
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("DS_THREADS", "2")))
    if a.blocks_per_level is not None and len(a.blocks_per_level) == 1:
        a.blocks_per_level = a.blocks_per_level * 3
    changes = dict(blocks_per_level=a.blocks_per_level, mid_blocks=a.mid_blocks, extra_attn=a.extra_attn)
    t0 = time.time()
    s = torch.load(a.src)
    lat = a.latents or next((p for p in (os.path.join(os.path.dirname(os.path.abspath(a.src)), "latents.pt"),
                                         os.path.join(HERE, "runs", "v3", "latents.pt")) if os.path.exists(p)), None)
    if lat is None:
        raise SystemExit("no latent cache for the function check: pass --latents")
    print("check batch: %d latents of %s" % (a.check_n, os.path.relpath(lat, ROOT)))
    out, _ = grow_state(s, changes, a.seed, a.warmup, check_batch(lat, a.check_n, a.seed), a.tol)
    if a.new_recipe:
        out["recipe_start"] = int(s.get("step", 0))
    os.makedirs(os.path.dirname(os.path.abspath(a.dst)), exist_ok=True)
    tmp = a.dst + ".tmp"
    torch.save(out, tmp)
    os.replace(tmp, a.dst)
    print("wrote %s (%s checkpoint, step %s, %.1fs)" % (a.dst, "full" if "opt" in s else "compact", s.get("step"), time.time() - t0))


def self_check():
    """`grow.py check`: exactness and bookkeeping on random weights (no data, no cache; tests/grow-unet.test.ts).
    Prints one JSON line of figures, then 'grow check ok'."""
    import json, shutil, tempfile
    torch.set_num_threads(1)
    torch.manual_seed(5)
    rep = {}

    def trained(m):  # every weight non-zero, as after training (zero projections would make the check trivial)
        with torch.no_grad():
            for p in m.parameters():
                p.add_(torch.randn_like(p) * 0.05)
        return m

    vocab_n = 40
    te = trained(TextEncoder(vocab_n))
    base = trained(unet_from_arch(None))
    g = torch.Generator().manual_seed(1)
    batch = (torch.randn(3, 10, 16, 16, generator=g), torch.tensor([10, 500, 990]), torch.randint(0, vocab_n, (3, 77), generator=g))
    growths = {"b2": dict(blocks_per_level=2), "m2": dict(mid_blocks=2), "b2a": dict(blocks_per_level=2, extra_attn=True),
               "l3m2": dict(blocks_per_level=[1, 1, 2], mid_blocks=2), "l23a": dict(blocks_per_level=[1, 2, 2], extra_attn=True),
               "b3m2a": dict(blocks_per_level=3, mid_blocks=2, extra_attn=True)}
    for name, ch in growths.items():
        new = grow_unet(base, 0, **ch)
        rep["diff_" + name] = max_diff(te, base, new, batch)[0]
        rep["params_" + name] = sum(p.numel() for p in new.parameters())
    b2 = trained(grow_unet(base, 0, blocks_per_level=[1, 1, 2]))  # a grown network trained on, then grown again
    rep["diff_b2_then_a"] = max_diff(te, b2, grow_unet(b2, 1, blocks_per_level=[2, 2, 2], extra_attn=True), batch)[0]
    rep["params_b1"] = sum(p.numel() for p in base.parameters())
    # old checkpoints (no unet_arch) are v1's network; a grown arch survives a state-dict round trip
    rep["default_arch"] = unet_from_arch(None).arch == unet_from_arch({}).arch == {
        "ch": [32, 64, 128], "dctx": 128, "blocks_per_level": [1, 1, 1], "mid_blocks": 1, "extra_attn": False}
    rep["int_arch_read"] = unet_from_arch({"blocks_per_level": 2}).arch["blocks_per_level"] == [2, 2, 2]
    rep["v1_names_kept"] = [n for n, _ in base.named_parameters()] == [n for n, _ in b2.named_parameters()][:len(list(base.parameters()))]
    try:
        grow_unet(b2, 0, blocks_per_level=[1, 2, 1])
        rep["shrink_refused"] = False
    except ValueError:
        rep["shrink_refused"] = True

    # a full checkpoint: AdamW state of the old parameters kept, new ones in a warm-up group; train_photo's loaders
    params = list(te.parameters()) + list(base.parameters())
    opt = torch.optim.AdamW(params, lr=2e-4, weight_decay=0.0)
    for _ in range(2):
        opt.zero_grad()
        base(batch[0], batch[1], te(batch[2])).square().mean().backward()
        opt.step()
    s = {"te": te.state_dict(), "unet": base.state_dict(), "opt": opt.state_dict(), "ema_te": te.state_dict(),
         "ema_unet": base.state_dict(), "step": 1234}
    out, d = grow_state(s, dict(blocks_per_level=2, extra_attn=True), 0, 100, batch, 1e-6, log=lambda m: None)
    rep["diff_full"] = d
    un2 = unet_from_arch(out["unet_arch"])
    un2.load_state_dict(out["unet"])
    opt2 = make_optimizer(te, un2, 2e-4, out["opt"])
    old_p = dict(zip(param_names(te, base), params))
    new_p = dict(zip(param_names(te, un2), list(te.parameters()) + list(un2.parameters())))
    fresh = [p for n, p in new_p.items() if n not in old_p]
    rep["groups"] = [len(g["params"]) for g in opt2.param_groups]
    rep["old_state_kept"] = all(torch.equal(opt2.state[new_p[n]]["exp_avg"], opt.state[p]["exp_avg"]) for n, p in old_p.items())
    rep["new_state_empty"] = len(fresh) == len(new_p) - len(old_p) and all(len(opt2.state[p]) == 0 for p in fresh)
    rep["lr_at_growth"] = [group_lr(g, 2e-4, 1234) for g in opt2.param_groups]
    rep["lr_after_warmup"] = [group_lr(g, 2e-4, 1234 + 100) for g in opt2.param_groups]
    for g in opt2.param_groups:
        g["lr"] = group_lr(g, 2e-4, 1234)
    before = [p.detach().clone() for p in fresh]
    opt2.zero_grad()
    un2(batch[0], batch[1], te(batch[2])).square().mean().backward()
    opt2.step()
    rep["first_step_new_max"] = max(float((p - b).abs().max()) for p, b in zip(fresh, before))
    # grown twice (a second growth of a grown run): state still by name, the first growth's group kept
    s2 = dict(out, opt=opt2.state_dict(), unet=un2.state_dict(), ema_unet=un2.state_dict(), step=1300)
    out2, d2 = grow_state(s2, dict(blocks_per_level=[2, 3, 3]), 0, 100, batch, 1e-6, log=lambda m: None)
    un3 = unet_from_arch(out2["unet_arch"]); un3.load_state_dict(out2["unet"])
    opt3 = make_optimizer(te, un3, 2e-4, out2["opt"])
    p3 = dict(zip(param_names(te, un3), list(te.parameters()) + list(un3.parameters())))
    rep["diff_full_twice"] = d2
    rep["twice_groups"] = [len(g["params"]) for g in opt3.param_groups]
    rep["twice_state_kept"] = all(torch.equal(opt3.state[p3[n]]["exp_avg_sq"], opt2.state[p]["exp_avg_sq"])
                                  for n, p in new_p.items() if len(opt2.state[p]))

    # a grown pack (ONNX, zero projections shared by the exporter) loads back with its architecture (finetune.py's path)
    from export import export_models, write_manifest, write_pipeline_files, write_tokenizer
    from from_onnx import load_pack_weights
    from models import VAE
    import vocab as V
    tmp = tempfile.mkdtemp(prefix="grow-check-")
    try:
        w2i = {"<pad>": V.PAD, "<unk>": V.UNK, "<bos>": V.BOS, "<eos>": V.EOS, "a": 4, "scratch": 5}
        tte, tun = TextEncoder(len(w2i), d=32, layers=1), unet_from_arch({"ch": [8, 16, 16], "dctx": 32})
        trained(tte); trained(tun)
        tun = grow_unet(tun, 0, blocks_per_level=[1, 2, 3], mid_blocks=2, extra_attn=True)
        export_models(tmp, tte, tun, VAE((8, 8, 16)))
        write_pipeline_files(tmp)
        write_tokenizer(tmp, w2i)
        write_manifest(tmp, "grow-check", {"resolution": 64, "latentScale": 1.0, "previewMatrix": [[0, 0, 0]] * 4,
                                           "previewBias": [0, 0, 0]}, ["a scratch"])
        _, _, un3, _, _ = load_pack_weights(tmp)
        rep["pack_arch"] = un3.arch == tun.arch
        rep["pack_weights_equal"] = all(torch.equal(un3.state_dict()[k], v) for k, v in tun.state_dict().items())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(rep))
    ok = (all(rep[k] == 0 for k in rep if k.startswith("diff_")) and rep["default_arch"] and rep["v1_names_kept"]
          and rep["shrink_refused"] and rep["old_state_kept"] and rep["new_state_empty"] and rep["pack_arch"]
          and rep["pack_weights_equal"] and rep["int_arch_read"] and rep["twice_state_kept"] and rep["first_step_new_max"] <= 2e-4 / 100 * 1.01)
    if not ok:
        raise SystemExit("grow check FAILED")
    print("grow check ok")


if __name__ == "__main__":
    main()
