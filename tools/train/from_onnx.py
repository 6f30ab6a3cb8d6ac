"""Load a shipped pack's ONNX weights back into the PyTorch modules of models.py (same architecture).

torch.onnx.export keeps most parameter names, but renames some (Linear weights become transposed
`onnx::MatMul_N`, GroupNorm affine params `onnx::Mul_N` / `onnx::Add_N` of shape [C, 1, 1]). The mapping is
recovered by exporting a fresh module whose parameters are all distinct random values, then matching each
exported initializer to the parameter it came from by value; the same names then index the pack's ONNX.

  from from_onnx import load_pack_weights
  vae, te, un, scale = load_pack_weights("public/models/ds-surface-v1")
"""
import io, json, os, re, sys
import numpy as np
import onnx
from onnx import numpy_helper
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from models import VAE, TextEncoder, UNet, LATENT_C  # noqa: E402


def _export_bytes(model, args, inames, dyn):
    f = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(model, args, f, input_names=inames, dynamic_axes=dyn, opset_version=17, do_constant_folding=True)
    return onnx.load_from_string(f.getvalue())


def _mapping(fresh, args, inames, dyn):
    """onnx initializer name -> (param name, transform) for a fresh export of `fresh`."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in fresh.parameters():
            p.copy_(torch.rand(p.shape, generator=g) * 2 - 1)
    params = {n: p.detach().numpy().copy() for n, p in fresh.named_parameters()}
    m = _export_bytes(fresh, args, inames, dyn)
    out = {}
    for init in m.graph.initializer:
        v = numpy_helper.to_array(init)
        if init.name in params and params[init.name].shape == v.shape:
            out[init.name] = (init.name, "id")
            continue
        for n, p in params.items():
            if p.size != v.size:
                continue
            if p.shape == v.shape and np.array_equal(p, v):
                out[init.name] = (n, "id"); break
            if p.ndim == 2 and v.shape == p.T.shape and np.array_equal(p.T, v):
                out[init.name] = (n, "T"); break
            if np.array_equal(p.reshape(-1), v.reshape(-1)):
                out[init.name] = (n, "reshape"); break
    return out


def _load(module, onnx_path, args, inames, dyn, prefix=""):
    mp = _mapping(module, args, inames, dyn)
    g = onnx.load(onnx_path).graph
    src = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    for n in g.node:  # initializers of equal value are shared by the exporter through Identity nodes (the zero
        if n.op_type == "Identity" and n.input[0] in src:  # projections and fresh norms of a just-grown UNet: grow.py)
            src.setdefault(n.output[0], src[n.input[0]])
    sd = module.state_dict()
    got = set()
    for oname, (pname, tr) in mp.items():
        if oname not in src:
            continue
        v = src[oname]
        v = v.T if tr == "T" else v
        sd[pname] = torch.from_numpy(np.ascontiguousarray(v).reshape(sd[pname].shape).astype(np.float32))
        got.add(pname)
    missing = [n for n, _ in module.named_parameters() if n not in got]
    if missing:
        raise RuntimeError("%s: parameters not found in the ONNX file: %s" % (onnx_path, missing[:8]))
    module.load_state_dict(sd)
    return module


class _EncMean(torch.nn.Module):
    def __init__(self, enc):
        super().__init__()
        self.enc = enc

    def forward(self, x):
        return self.enc(x)[0]


class NotOurArchitecture(Exception):
    """The pack is not of the built-in model's architecture (models.py), so its weights cannot be loaded."""


def _inits(path):
    return {i.name: tuple(i.dims) for i in onnx.load(path, load_external_data=False).graph.initializer}


def pack_architecture(pack_dir):
    """The widths of models.py's modules that made this pack, read from its ONNX initializers by name; raises
    NotOurArchitecture (one line) for any other pack (a Stable Diffusion export, a ControlNet pack, ...)."""
    def need(ok, what):
        if not ok:
            raise NotOurArchitecture("%s is not a pack of DefectStudio's own architecture (the built-in ds-surface model, "
                                     "tools/train/models.py): %s" % (pack_dir, what))
    mp = os.path.join(pack_dir, "defect-studio.json")
    need(os.path.exists(mp), "no defect-studio.json")
    man = json.load(open(mp))
    need(man.get("conditioning") == "concat" and man.get("concatChannels") == ["defect_mask", "object_mask", "masked_image_latent"],
         "conditioning is %s %s, not concat [defect_mask, object_mask, masked_image_latent]" % (man.get("conditioning"), man.get("concatChannels", "")))
    need(man.get("tokenizer") == "word-level", "tokenizer %s, not word-level" % man.get("tokenizer"))
    need(man.get("latentChannels") == LATENT_C and man.get("vaeScaleFactor") == 4, "latent channels / VAE factor %s / %s, not 4 / 4" % (
        man.get("latentChannels"), man.get("vaeScaleFactor")))
    files = {k: os.path.join(pack_dir, k, "model.onnx") for k in ("unet", "text_encoder", "vae_encoder", "vae_decoder")}
    for k, f in files.items():
        need(os.path.exists(f), "no %s/model.onnx" % k)
    try:
        u, t, e, d = (_inits(files[k]) for k in ("unet", "text_encoder", "vae_encoder", "vae_decoder"))
    except Exception as ex:  # noqa: BLE001
        raise NotOurArchitecture("%s: an ONNX file cannot be read: %s" % (pack_dir, ex))
    need(all(n in u for n in ("cin.weight", "down1.weight", "down2.weight")) and u["cin.weight"][1:] == (2 * LATENT_C + 2, 3, 3),
         "the UNet has no cin/down1/down2 convolutions of the built-in model")
    need("tok.weight" in t and "pos" in t, "the text encoder has no tok/pos weights of the built-in model")
    need(all(n in e for n in ("enc.net.0.weight", "enc.net.2.weight", "enc.net.4.weight")) and "conv_out.weight" in d,
         "the VAE is not the built-in model's")
    a = u["cin.weight"][0]
    b = u["down1.weight"][0]
    c = u["down2.weight"][0]
    vocab_n, dim = t["tok.weight"]
    layers = len({n.split(".")[1] for n in t if n.startswith("blocks.")})
    vae = (e["enc.net.0.weight"][0], e["enc.net.2.weight"][0], e["enc.net.4.weight"][0])
    tok = json.load(open(os.path.join(pack_dir, "tokenizer", "tokenizer.json")))
    need(len(tok.get("vocab", {})) == vocab_n, "tokenizer vocabulary (%d words) and text encoder (%d rows) differ" % (
        len(tok.get("vocab", {})), vocab_n))
    def extra(prefix):  # a grown UNet's extra modules (models.UNet: blocks_per_level, mid_blocks, extra_attn)
        return len({m.group(1) for m in (re.match(r"^%s\.(\d+)\.c1\.weight$" % prefix, n) for n in u) if m})
    depth = {"blocks_per_level": [1 + extra("d1x"), 1 + extra("d2x"), 1 + extra("d3x")], "mid_blocks": 1 + extra("mx"),
             "extra_attn": any(n.startswith(("x2x.", "x3x.", "ux2x.", "ux3x.")) for n in u)}
    return {"unet_ch": (a, b, c), "unet_depth": depth, "te_dim": dim, "te_layers": layers, "vae_ch": vae, "vocab": tok["vocab"],
            "latent_scale": float(man["latentScale"]), "manifest": man}


def make_modules(arch, vocab_n=None):
    """Fresh (vae, text encoder, unet) of the given architecture (pack_architecture's dict)."""
    vae = VAE(tuple(arch["vae_ch"]))
    te = TextEncoder(vocab_n or len(arch["vocab"]), d=arch["te_dim"], layers=arch["te_layers"])
    un = UNet(ch=tuple(arch["unet_ch"]), dctx=arch["te_dim"], **arch.get("unet_depth", {}))
    return vae, te, un


def _load_vae(vae, pack_dir):
    _load(_EncMean(vae.encoder), os.path.join(pack_dir, "vae_encoder", "model.onnx"), (torch.randn(1, 3, 64, 64),),
          ["sample"], {"sample": {0: "b", 2: "h", 3: "w"}})
    _load(vae.decoder, os.path.join(pack_dir, "vae_decoder", "model.onnx"), (torch.randn(1, LATENT_C, 16, 16),),
          ["latent_sample"], {"latent_sample": {0: "b", 2: "h", 3: "w"}})
    vae.eval()
    return vae


def load_pack_vae(pack_dir):
    return _load_vae(VAE(tuple(pack_architecture(pack_dir)["vae_ch"])), pack_dir)


def load_pack_weights(pack_dir, vocab_size=None):
    """(vae, text encoder, unet, latentScale, vocab word -> id) of a pack of the built-in architecture, any widths."""
    arch = pack_architecture(pack_dir)
    vae, te, un = make_modules(arch)
    _load_vae(vae, pack_dir)
    _load(te, os.path.join(pack_dir, "text_encoder", "model.onnx"), (torch.zeros(1, 77, dtype=torch.int64),),
          ["input_ids"], {"input_ids": {0: "b"}})
    _load(un, os.path.join(pack_dir, "unet", "model.onnx"),
          (torch.randn(2, 2 * LATENT_C + 2, 16, 16), torch.tensor([981, 981]), torch.randn(2, 77, arch["te_dim"])),
          ["sample", "timestep", "encoder_hidden_states"], {"sample": {0: "b", 2: "h", 3: "w"}, "timestep": {0: "b"},
                                                            "encoder_hidden_states": {0: "b"}})
    return vae, te, un, arch["latent_scale"], arch["vocab"]


def remap_text_encoder(te_old, old_vocab, new_vocab):
    """A TextEncoder for new_vocab (word -> id) with the old embedding rows copied for words both know."""
    te = TextEncoder(len(new_vocab), d=te_old.tok.weight.shape[1], layers=len(te_old.blocks))
    sd = te_old.state_dict()
    new_tok = te.tok.weight.detach().clone() * 0.0 + te_old.tok.weight.detach().mean(0, keepdim=True)
    new_tok += torch.randn_like(new_tok) * te_old.tok.weight.detach().std() * 0.5
    for w, i in new_vocab.items():
        if w in old_vocab:
            new_tok[i] = te_old.tok.weight.detach()[old_vocab[w]]
    sd["tok.weight"] = new_tok
    te.load_state_dict(sd)
    return te


if __name__ == "__main__":
    torch.set_num_threads(2)
    vae, te, un, scale, vocab = load_pack_weights(sys.argv[1] if len(sys.argv) > 1 else "public/models/ds-surface-v1")
    # check against onnxruntime-free reference: the ONNX graph run through torch is not available, so compare
    # a forward against the exported file via onnx's reference evaluator when present
    print("loaded: vae %.2fM te %.2fM unet %.2fM, latentScale %.4f, vocab %d" % (
        sum(p.numel() for p in vae.parameters()) / 1e6, sum(p.numel() for p in te.parameters()) / 1e6,
        sum(p.numel() for p in un.parameters()) / 1e6, scale, len(vocab)))
