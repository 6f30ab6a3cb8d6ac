"""Export the trained built-in model to ONNX (opset 17) as a DefectStudio model pack.

  /usr/bin/python3 tools/train/export.py [--id ds-surface-v1] [--no-ema] [--manifest-only]
Writes public/models/<id>/: model_index.json, scheduler/, tokenizer/, text_encoder/, unet/, vae_encoder/,
vae_decoder/ (each model.onnx) and defect-studio.json (sizes and sha256 of every other file of the pack).
"""
import argparse, hashlib, json, os, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
torch.set_num_threads(2)
from models import VAE, TextEncoder, LATENT_C, VAE_F, unet_from_arch  # noqa: E402
import vocab as V  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
RUNS = os.environ.get("DS_RUNS", os.path.join(HERE, "runs"))
# the data caches the preview fit reads (photo_train.npz for --compact, eval.npz otherwise); another
# worktree's cache may be named here (the ship script does: tools/train/ship_builtin.sh)
CACHE = os.environ.get("DS_DATA_CACHE", os.path.join(HERE, "..", "data", "cache"))


class EncMean(nn.Module):
    def __init__(self, enc):
        super().__init__()
        self.enc = enc

    def forward(self, sample):
        return self.enc(sample)[0]


def export(model, args, path, inames, onames, dyn):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, args, path, input_names=inames, output_names=onames, dynamic_axes=dyn,
                          opset_version=17, do_constant_folding=True)
    print("wrote", os.path.relpath(path, ROOT), os.path.getsize(path))


def sha(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        h.update(f.read())
    return h.hexdigest()


NAME = "DefectStudio surfaces v1 (built-in)"
DESCRIPTION = ("Small latent diffusion model trained from scratch on procedural surfaces (metal, fabric, wood, "
               "leather, tile, mesh) with 8 defect types; see MODEL.md.")


def write_manifest(out, pid, extra, presets=None):
    files = {}
    for dp, _, fns in os.walk(out):
        for fn in sorted(fns):
            rel = os.path.relpath(os.path.join(dp, fn), out).replace(os.sep, "/")
            if rel == "defect-studio.json":
                continue
            files[rel] = {"bytes": os.path.getsize(os.path.join(dp, fn)), "sha256": sha(os.path.join(dp, fn))}
    man = {
        "format": "defect-studio-pack@1",
        "id": pid,
        "name": extra.pop("name", NAME),
        "description": extra.pop("description", DESCRIPTION),
        "conditioning": "concat",
        "concatChannels": ["defect_mask", "object_mask", "masked_image_latent"],
        "resolution": 256,
        "latentChannels": LATENT_C,
        "vaeScaleFactor": VAE_F,
        **extra,
        "promptPresets": list(presets if presets is not None else V.PRESETS),
        "tokenizer": "word-level",
        **({"contextNorm": True} if extra.pop("contextNorm", False) else {}),
        "files": dict(sorted(files.items())),
    }
    with open(os.path.join(out, "defect-studio.json"), "w") as f:
        json.dump(man, f, indent=2)
    print("manifest:", len(files), "files,", sum(v["bytes"] for v in files.values()), "bytes")


def export_models(out, te, un, vae=None):
    """text_encoder/, unet/ (and with vae: vae_encoder/, vae_decoder/) model.onnx of any width of models.py."""
    dctx = te.tok.weight.shape[1]
    ids = torch.tensor([[V.BOS, V.EOS] + [V.PAD] * (V.MAXLEN - 2)], dtype=torch.int64)
    export(te, (ids,), os.path.join(out, "text_encoder", "model.onnx"),
           ["input_ids"], ["last_hidden_state"], {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}})
    cin = 2 * LATENT_C + 2
    export(un, (torch.randn(2, cin, 64, 64), torch.tensor([981, 981], dtype=torch.int64), torch.randn(2, 77, dctx)),
           os.path.join(out, "unet", "model.onnx"), ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
           {"sample": {0: "batch", 2: "height", 3: "width"}, "timestep": {0: "batch"},
            "encoder_hidden_states": {0: "batch"}, "out_sample": {0: "batch", 2: "height", 3: "width"}})
    if vae is None:
        return
    export(EncMean(vae.encoder), (torch.randn(1, 3, 256, 256),), os.path.join(out, "vae_encoder", "model.onnx"),
           ["sample"], ["latent_sample"], {"sample": {0: "batch", 2: "height", 3: "width"},
                                           "latent_sample": {0: "batch", 2: "height", 3: "width"}})
    export(vae.decoder, (torch.randn(1, LATENT_C, 64, 64),), os.path.join(out, "vae_decoder", "model.onnx"),
           ["latent_sample"], ["sample"], {"latent_sample": {0: "batch", 2: "height", 3: "width"},
                                           "sample": {0: "batch", 2: "height", 3: "width"}})


def write_pipeline_files(out):
    """model_index.json and scheduler/scheduler_config.json (DDIM, scaled-linear betas)."""
    json.dump({"_class_name": "DefectStudioConcatPipeline", "_diffusers_version": "0.30.0",
               "scheduler": ["diffusers", "DDIMScheduler"], "text_encoder": ["defect_studio", "WordTextEncoder"],
               "tokenizer": ["defect_studio", "WordLevelTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
               "vae_encoder": ["diffusers", "AutoencoderKL"], "vae_decoder": ["diffusers", "AutoencoderKL"]},
              open(os.path.join(out, "model_index.json"), "w"), indent=2)
    os.makedirs(os.path.join(out, "scheduler"), exist_ok=True)
    json.dump({"_class_name": "DDIMScheduler", "_diffusers_version": "0.30.0", "num_train_timesteps": 1000,
               "beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012,
               "prediction_type": "epsilon", "timestep_spacing": "leading", "steps_offset": 1,
               "set_alpha_to_one": False, "clip_sample": False},
              open(os.path.join(out, "scheduler", "scheduler_config.json"), "w"), indent=2)


def write_tokenizer(out, word2id):
    """tokenizer/tokenizer.json: the word-level rule of vocab.py with this vocabulary (word -> id)."""
    def enc(t):
        ids = [V.BOS] + [word2id.get(w, V.UNK) for w in V.words(t)][:V.MAXLEN - 2] + [V.EOS]
        return ids + [V.PAD] * (V.MAXLEN - len(ids))
    os.makedirs(os.path.join(out, "tokenizer"), exist_ok=True)
    json.dump({"type": "word-level", "lowercase": True, "split_regex": "[^a-z]+",
               "rule": "lower-case; split on runs of characters outside a-z; drop empty pieces; unknown words -> unk_id; "
                       "ids = [bos_id] + first (max_length - 2) word ids + [eos_id]; pad with pad_id to max_length",
               "max_length": V.MAXLEN, "pad_id": V.PAD, "unk_id": V.UNK, "bos_id": V.BOS, "eos_id": V.EOS,
               "add_bos": True, "add_eos": True, "truncate_words_to": V.MAXLEN - 2,
               "vocab": word2id,
               "examples": {t: enc(t)[:8] for t in ["a scratch", "A Wood surface, with a CRACK!", "", "a zebra"]}},
              open(os.path.join(out, "tokenizer", "tokenizer.json"), "w"), indent=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--id", default="ds-surface-v1")
    ap.add_argument("--no-ema", action="store_true")
    ap.add_argument("--manifest-only", action="store_true")
    ap.add_argument("--guidance", type=float, default=7.0)
    ap.add_argument("--compact", default=None, help="v2: text encoder + UNet from a compact EMA checkpoint (train_photo.py)")
    ap.add_argument("--vae-pack", default=None, help="v2: the VAE from this pack's ONNX weights (frozen in v2 training)")
    ap.add_argument("--out", default=None, help="pack folder (default public/models/<id>)")
    a = ap.parse_args()
    out = a.out or os.path.join(ROOT, "public", "models", a.id)
    meta_p = os.path.join(RUNS, "export-meta.json")
    if a.manifest_only:
        extra = json.load(open(meta_p))
        write_manifest(out, a.id, extra)
        return
    os.makedirs(out, exist_ok=True)
    v2 = a.compact is not None
    if v2:
        from from_onnx import load_pack_weights
        vae, _, _, _, _ = load_pack_weights(a.vae_pack)
        ck = torch.load(a.compact)
        if ck["vocab"] != V.VOCAB:
            raise SystemExit("the checkpoint's vocabulary differs from vocab.py")
        te, un = TextEncoder(len(V.VOCAB)), unet_from_arch(ck.get("unet_arch"))  # a grown UNet: grow.py
        te.load_state_dict({k: v.float() for k, v in ck["te"].items()})
        un.load_state_dict({k: v.float() for k, v in ck["unet"].items()})
        scale = float(ck["latent_scale"])
        meta_p = os.path.join(out, "..", ".export-meta-%s.json" % a.id) if a.out else os.path.join(RUNS, "export-meta-v2.json")
    else:
        vae = VAE()
        vae.load_state_dict(torch.load(os.path.join(RUNS, "vae.pt"))["model"])
        ck = torch.load(os.path.join(RUNS, "unet.pt"))
        te, un = TextEncoder(len(V.VOCAB)), unet_from_arch(ck.get("unet_arch"))
        te.load_state_dict(ck["te" if a.no_ema else "ema_te"])
        un.load_state_dict(ck["unet" if a.no_ema else "ema_unet"])
        scale = float(ck["latent_scale"])

    export_models(out, te, un, vae)

    # preview matrix: least squares from scaled (UNet-space) latents to 4x4-average-pooled RGB in [-1, 1]
    sys.path.insert(0, os.path.join(HERE, "..", "data"))
    if v2:  # context-normalised photos, as the v2 pipeline feeds them
        import contextnorm as CN
        d = np.load(os.path.join(CACHE, "photo_train.npz"))
        u8 = d["defect"][:64]
        g = torch.from_numpy(np.stack([CN.gains_u8(im, mk, ob) for im, mk, ob in zip(u8, d["mask"][:64], d["obj"][:64])]))
        x = CN.normalize_t(torch.from_numpy(u8).permute(0, 3, 1, 2).float() / 127.5 - 1, g)
    else:
        d = np.load(os.path.join(CACHE, "eval.npz"))
        x = torch.from_numpy(d["defect"][:64]).permute(0, 3, 1, 2).float() / 127.5 - 1
    with torch.no_grad():
        z = vae.encoder(x)[0] * scale
    rgb = F.avg_pool2d(x, VAE_F)
    Z = z.permute(0, 2, 3, 1).reshape(-1, LATENT_C).numpy().astype(np.float64)
    Y = rgb.permute(0, 2, 3, 1).reshape(-1, 3).numpy().astype(np.float64)
    Zb = np.concatenate([Z, np.ones((len(Z), 1))], 1)
    sol, *_ = np.linalg.lstsq(Zb, Y, rcond=None)
    resid = Y - Zb @ sol
    print("preview fit RMSE %.4f (RGB std %.4f)" % (np.sqrt((resid ** 2).mean()), Y.std()))
    extra = {
        "latentScale": round(scale, 6),
        "previewMatrix": [[round(float(v), 6) for v in row] for row in sol[:LATENT_C]],
        "previewBias": [round(float(v), 6) for v in sol[LATENT_C]],
        "defaults": {"steps": 25, "guidance": a.guidance, "latentEditStart": 0.52, "pixelEditStart": 0.9,
                     # seamPx: the seam blend's width (src/core/diffusion/seam.ts; chosen on training photos, MODEL.md);
                     # seamSpareStrokes: its band capped by the stroke's local half-width (session 7, MODEL.md)
                     "dilationPx": 16, "seamPx": 2, "seamSpareStrokes": True, "scheduler": "ddim"},
    }
    if v2:
        extra.update(name="DefectStudio surfaces v2 (built-in)", contextNorm=True,
                     description="Small latent diffusion model (v1's VAE; UNet and text encoder fine-tuned on defects rendered "
                                 "on real surface photographs and procedural surfaces, context-normalised colours); see MODEL.md.")
    json.dump(extra, open(meta_p, "w"), indent=2)

    write_pipeline_files(out)
    write_tokenizer(out, V.WORD2ID)
    write_manifest(out, a.id, extra)


if __name__ == "__main__":
    main()
