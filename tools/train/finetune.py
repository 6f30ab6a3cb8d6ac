"""Few-shot fine-tuning of a pack of the built-in architecture (issue 13); run by `defect-studio finetune`.

  /usr/bin/python3 tools/train/finetune.py --base PACK --work WORKDIR --export-to NEWPACK [--steps N] [--minutes M]

The CLI (src/cli/finetune.ts) reads and checks the user's data, crops every example the way the pipeline
crops a photo for generation (src/core/diffusion/crop.ts) and writes WORKDIR/data/: examples.json (prompt,
defect, source of each example, the data summary for the model card, the new words), images.u8
(N x R x R x 3 uint8) and masks.u8 (N x R x R, 1 = defect). This script

- loads the base pack's ONNX weights into models.py's modules (from_onnx.py; any other architecture is
  refused with one line),
- adds the new words to the word-level vocabulary (their embedding rows start at the mean of the base's
  defect-noun rows) and learns only those rows of the text encoder, with all of the UNet,
- encodes the examples once (context-normalised when the base pack sets contextNorm) and trains on 32x32
  latent crops around the defects with train.py's batch sampler and loss,
- checkpoints to WORKDIR/ckpt.pt (resumed when its key matches --key), stops cleanly on SIGINT / SIGTERM,
- exports the pack with export.py's writers (text encoder + UNet ONNX, tokenizer, manifest with sizes and
  sha256s; the VAE files are the base pack's bytes) and a model card (MODEL.md + finetune.json).
Progress: one JSON object a line on stdout ({"event": "step", "step", "steps", "loss", "seconds"} ...).
"""
import argparse, hashlib, json, math, os, shutil, signal, sys, time
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
NTHREADS = int(os.environ.get("DS_THREADS", "1"))
os.environ.setdefault("OMP_NUM_THREADS", str(NTHREADS))
import torch  # noqa: E402

torch.set_num_threads(NTHREADS)
import vocab as V  # noqa: E402
import contextnorm as CN  # noqa: E402
from from_onnx import NotOurArchitecture, load_pack_weights, pack_architecture  # noqa: E402
from train import cond_maps, diffusion_loss, sample_crops, sd_alphas_cumprod, save_ckpt  # noqa: E402
from export import export_models, write_manifest, write_tokenizer  # noqa: E402

STOP = {"flag": False}


def emit(**kw):
    sys.stdout.write(json.dumps(kw) + "\n")
    sys.stdout.flush()


def sha_file(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_data(work, R):
    d = os.path.join(work, "data")
    meta = json.load(open(os.path.join(d, "examples.json")))
    n = len(meta["examples"])
    imgs = np.fromfile(os.path.join(d, "images.u8"), np.uint8).reshape(n, R, R, 3)
    masks = np.fromfile(os.path.join(d, "masks.u8"), np.uint8).reshape(n, R, R) > 0
    return meta, imgs, masks


def encode_examples(vae, imgs, masks, scale, context_norm):
    """Latent cache of the examples as train.py's stage_cache makes it (dict z, zm, dm, om)."""
    objs = np.ones_like(masks)
    x = torch.from_numpy(imgs).permute(0, 3, 1, 2).float() / 127.5 - 1
    if context_norm:
        g = torch.from_numpy(np.stack([CN.gains_u8(im, m, o) for im, m, o in zip(imgs, masks, objs)]))
        x = CN.normalize_t(x, g)
    m = torch.from_numpy(masks)[:, None]
    xm = torch.where(m, torch.zeros_like(x), x)
    zs, zms = [], []
    with torch.no_grad():
        for i in range(0, len(x), 8):
            zs.append(vae.encoder(x[i:i + 8])[0])
            zms.append(vae.encoder(xm[i:i + 8])[0])
    dm, om = cond_maps(masks, objs)
    return {"z": torch.cat(zs), "zm": torch.cat(zms), "dm": dm, "om": om}


def grow_vocab(te, word2id, new_words):
    """A text encoder with rows for new_words (start: mean of the base's defect-noun rows + a little noise)."""
    from models import TextEncoder
    n_old = len(word2id)
    w2i = dict(word2id)
    for w in new_words:
        if w not in w2i:
            w2i[w] = len(w2i)
    if len(w2i) == n_old:
        return te, w2i, n_old
    te2 = TextEncoder(len(w2i), d=te.tok.weight.shape[1], layers=len(te.blocks))
    sd = te.state_dict()
    old = sd["tok.weight"]
    nouns = [word2id[g[0]] for g in V.DEFECT_NOUNS if g[0] in word2id]
    init = old[nouns].mean(0) if nouns else old.mean(0)
    g = torch.Generator().manual_seed(len(w2i))
    extra = init[None] + torch.randn(len(w2i) - n_old, old.shape[1], generator=g) * old.std() * 0.1
    sd["tok.weight"] = torch.cat([old, extra])
    te2.load_state_dict(sd)
    return te2, w2i, n_old


def encode_ids(w2i, text):
    ids = [V.BOS] + [w2i.get(w, V.UNK) for w in V.words(text)][:V.MAXLEN - 2] + [V.EOS]
    return ids + [V.PAD] * (V.MAXLEN - len(ids))


def prompt_fn(examples, w2i):
    """The example's own prompt half of the time, else a template around its defect words."""
    def f(rng, i):
        ex = examples[i]
        d = " ".join(V.words(ex["defect"])) or ex["prompt"]
        if rng.random() < 0.5:
            return encode_ids(w2i, ex["prompt"])
        art = "an" if d[0] in "aeiou" else "a"
        t = [f"{art} {d}", d, f"a surface with {art} {d}", f"{art} {d} defect", f"{d} on a surface",
             f"a part with {art} {d}"][int(rng.integers(0, 6))]
        return encode_ids(w2i, t)
    return f


def write_card(out, a, meta, base_arch, base_sha, w2i, n_old, stats):
    s = meta["summary"]
    new_words = [w for w, i in sorted(w2i.items(), key=lambda kv: kv[1]) if i >= n_old]
    card = {
        "format": "defect-studio-finetune@1",
        "base": {"path": a.base, "id": base_arch["manifest"].get("id"), "name": base_arch["manifest"].get("name"),
                 "manifestSha256": base_sha},
        "data": s,
        "newWords": new_words,
        "prompts": sorted({e["prompt"] for e in meta["examples"]}),
        "settings": {"steps": a.steps, "minutes": a.minutes, "batch": a.batch, "crop": a.crop, "lr": a.lr,
                     "lrEmbedding": a.lr_emb, "seed": a.seed, "threads": NTHREADS,
                     "contextNorm": bool(base_arch["manifest"].get("contextNorm"))},
        "measured": stats,
    }
    if meta.get("evaluation"):
        card["evaluation"] = meta["evaluation"]
    json.dump(card, open(os.path.join(out, "finetune.json"), "w"), indent=1)
    per = ", ".join("%s %d" % (k, v) for k, v in s["perDefect"].items())
    sizes = ", ".join("%s (%d)" % (k, v) for k, v in s["imageSizes"].items())
    lines = [
        "# %s" % a.name_text,
        "",
        "A few-shot fine-tune of `%s` (%s) made by `defect-studio finetune` (tools/train/finetune.py)." % (
            card["base"]["id"], card["base"]["name"]),
        "",
        "## Base pack",
        "- id `%s`, read from `%s`; sha256 of its defect-studio.json `%s`" % (card["base"]["id"], a.base, base_sha),
        "- the VAE files are the base pack's bytes; the UNet is fine-tuned; the text encoder is the base's with "
        "%s" % ("new embedding rows for: %s" % ", ".join("`%s`" % w for w in new_words) if new_words else "no change (no new words)"),
        "",
        "## Data",
        "- layout: %s, folder `%s`" % (s["layout"], s["root"]),
        "- examples per defect: %s (%d in all); normal images seen: %d (not used in training)" % (per, s["examples"], s["normals"]),
        "- image sizes: %s; each example cropped as the pipeline crops for generation (defect box + margin %d px, "
        "square), resized to %d x %d" % (sizes, s["margin"], s["resolution"], s["resolution"]),
        "- sha256 of the file list (`path<TAB>sha256` lines of every image and mask, in example order): `%s`" % s["fileListSha256"],
        "- prompts: %s" % ", ".join("`%s`" % p for p in card["prompts"]),
        "",
        "## Settings",
        "- %s" % ", ".join("%s %s" % (k, v) for k, v in card["settings"].items()),
        "",
        "## Measured",
        "- steps %d of %d (%s), wall time %.1f s (%.2f s a step), %s" % (
            stats["steps"], a.steps, ("interrupted" if stats["interrupted"] else "stopped by the --minutes limit") if stats["stopped"] else "complete",
            stats["seconds"], stats["secondsPerStep"], "resumed from step %d" % stats["resumedFrom"] if stats["resumedFrom"] else "one run"),
        "- training loss (mean of the first / last 20 steps of this run): %s / %s" % (stats["lossFirst"], stats["lossLast"]),
    ]
    ev = meta.get("evaluation")
    if ev:
        lines += ["", "## Evaluation", ""] + ev.get("markdown", [])
    with open(os.path.join(out, "MODEL.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def export_pack(a, out, te, un, base_arch, base_sha, w2i, n_old, meta, stats):
    os.makedirs(out, exist_ok=True)
    for d in ("vae_encoder", "vae_decoder", "scheduler"):
        shutil.copytree(os.path.join(a.base, d), os.path.join(out, d), dirs_exist_ok=True)
    shutil.copyfile(os.path.join(a.base, "model_index.json"), os.path.join(out, "model_index.json"))
    te.eval(); un.eval()
    export_models(out, te, un)
    write_tokenizer(out, w2i)
    write_card(out, a, meta, base_arch, base_sha, w2i, n_old, stats)
    bm = base_arch["manifest"]
    extra = {k: bm[k] for k in ("resolution", "latentScale", "previewMatrix", "previewBias", "defaults") if k in bm}
    extra.update(name=a.name_text, description="Fine-tuned from %s on %d examples (%s); see MODEL.md." % (
        bm.get("id"), meta["summary"]["examples"], ", ".join(meta["summary"]["perDefect"])), contextNorm=bool(bm.get("contextNorm")))
    # the base's presets (plain prompts or {"prompt": ..., settings} objects) are kept as they are
    presets = list(bm.get("promptPresets", []))
    have = {(q if isinstance(q, str) else q["prompt"]).strip().lower() for q in presets}
    for p in meta["presets"]:
        if p.strip().lower() not in have:
            presets.insert(0, p)
    write_manifest(out, a.id, extra, presets)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--export-to", required=True)
    ap.add_argument("--key", default="")
    ap.add_argument("--id", default="finetuned")
    ap.add_argument("--name-text", default="Fine-tuned pack")
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--crop", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--lr-emb", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--save-every", type=float, default=60, help="seconds between checkpoints")
    ap.add_argument("--export-on-stop", action="store_true")
    ap.add_argument("--check", action="store_true", help="only check the base pack's architecture")
    a = ap.parse_args()
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, lambda *_: STOP.__setitem__("flag", True))
    try:
        base_arch = pack_architecture(a.base)
    except NotOurArchitecture as e:
        emit(event="error", code="pack", message=str(e))
        return 3
    if a.check:
        emit(event="ok")
        return 0
    t_start = time.time()
    base_sha = sha_file(os.path.join(a.base, "defect-studio.json"))
    R = int(base_arch["manifest"]["resolution"])
    meta, imgs, masks = load_data(a.work, R)
    vae, te, un, scale, word2id = load_pack_weights(a.base)
    for p in vae.parameters():
        p.requires_grad_(False)
    te, w2i, n_old = grow_vocab(te, word2id, meta["newWords"])
    tr = encode_examples(vae, imgs, masks, scale, bool(base_arch["manifest"].get("contextNorm")))
    N = len(imgs)
    for p in te.parameters():
        p.requires_grad_(False)
    learn_emb = len(w2i) > n_old
    te.tok.weight.requires_grad_(learn_emb)
    groups = [{"params": list(un.parameters()), "lr": a.lr}]
    if learn_emb:
        groups.append({"params": [te.tok.weight], "lr": a.lr_emb})
    opt = torch.optim.AdamW(groups, weight_decay=0.0)
    ck = os.path.join(a.work, "ckpt.pt")
    step = 0
    if os.path.exists(ck):
        s = torch.load(ck)
        if s.get("key") == a.key:
            un.load_state_dict(s["unet"]); te.load_state_dict(s["te"]); opt.load_state_dict(s["opt"]); step = int(s["step"])
    resumed_from = step
    emit(event="start", step=step, steps=a.steps, examples=N, newWords=meta["newWords"], seconds=round(time.time() - t_start, 2))
    torch.manual_seed(a.seed + step)
    rng = np.random.default_rng([a.seed, step])
    ac = sd_alphas_cumprod()
    dmb = tr["dm"][:, 0] > 0
    H = tr["z"].shape[-1]
    cs = min(a.crop, H)
    pf = prompt_fn(meta["examples"], w2i)
    t0 = time.time()
    t_end = t0 + a.minutes * 60
    t_save = t0
    losses = []
    un.train()
    good = None  # (step, unet state, te state) of the last step with a finite loss

    def checkpoint():
        if good is None:
            return
        save_ckpt(ck, unet=good[1], te=good[2], opt=opt.state_dict(), step=good[0], key=a.key)
        emit(event="checkpoint", step=good[0])

    while step < a.steps and time.time() < t_end and not STOP["flag"]:
        for gi, g in enumerate(opt.param_groups):
            g["lr"] = (a.lr if gi == 0 else a.lr_emb) * min(1.0, (step - resumed_from + 1) / 20)
        idx = rng.integers(0, N, a.batch)
        z0, zm, dm, om, ids = sample_crops(tr, idx, dmb, cs, H, scale, rng, prompt=pf)
        loss = diffusion_loss(un, te(ids), z0, zm, dm, om, ac, rng)
        if not torch.isfinite(loss):
            emit(event="warning", message="non-finite loss at step %d: stopped, the last good checkpoint is kept" % (step + 1))
            break
        opt.zero_grad()
        loss.backward()
        if learn_emb:
            te.tok.weight.grad[:n_old] = 0  # only the new words learn
        torch.nn.utils.clip_grad_norm_(list(un.parameters()) + [te.tok.weight], 1.0)
        opt.step()
        step += 1
        losses.append(float(loss.item()))
        good = (step, {k: v.clone() for k, v in un.state_dict().items()}, {k: v.clone() for k, v in te.state_dict().items()})
        emit(event="step", step=step, steps=a.steps, loss=round(losses[-1], 5), seconds=round(time.time() - t0, 2),
             minutes=a.minutes)
        if time.time() - t_save > a.save_every:
            checkpoint()
            t_save = time.time()
    stopped = step < a.steps
    checkpoint()
    if good is not None:
        un.load_state_dict(good[1]); te.load_state_dict(good[2])
    elapsed = time.time() - t0
    stats = {"steps": step, "resumedFrom": resumed_from, "stopped": stopped, "interrupted": STOP["flag"],
             "seconds": round(elapsed, 1), "secondsPerStep": round(elapsed / max(step - resumed_from, 1), 3),
             "lossFirst": round(float(np.mean(losses[:20])), 4) if losses else None,
             "lossLast": round(float(np.mean(losses[-20:])), 4) if losses else None, "threads": NTHREADS}
    exported = False
    if step > 0 and (not STOP["flag"] or a.export_on_stop):
        emit(event="exporting", step=step)
        export_pack(a, a.export_to, te, un, base_arch, base_sha, w2i, n_old, meta, stats)
        exported = True
    emit(event="done", step=step, steps=a.steps, exported=exported, interrupted=STOP["flag"], stats=stats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
