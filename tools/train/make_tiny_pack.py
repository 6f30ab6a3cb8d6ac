"""A tiny random-weight pack of the built-in architecture (models.py at small widths) for the unit tests of
`defect-studio finetune`: tests/fixtures/packs/tiny-ds/ (about 400 KB; committed; CI never runs this script).

  /usr/bin/python3 tools/train/make_tiny_pack.py
Same modules, ONNX names, tokenizer and manifest as ds-surface-v1 (export.py's writers), at widths
VAE 8/8/16, UNet 8/16/16, text encoder D = 32 with one layer, 64 x 64 images (16 x 16 latents).
"""
import os, shutil, sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import torch  # noqa: E402

torch.set_num_threads(1)
from models import VAE, TextEncoder, UNet  # noqa: E402
import vocab as V  # noqa: E402
from export import export_models, write_manifest, write_pipeline_files, write_tokenizer  # noqa: E402

OUT = os.path.join(HERE, "..", "..", "tests", "fixtures", "packs", "tiny-ds")
WORDS = ["a", "an", "with", "surface", "metal", "wood", "scratch", "crack", "hole", "stain", "dent", "part"]


def main():
    torch.manual_seed(13)
    word2id = {"<pad>": V.PAD, "<unk>": V.UNK, "<bos>": V.BOS, "<eos>": V.EOS}
    for w in WORDS:
        word2id[w] = len(word2id)
    vae = VAE((8, 8, 16))
    te = TextEncoder(len(word2id), d=32, layers=1)
    un = UNet(ch=(8, 16, 16), dctx=32)
    with torch.no_grad():  # every tensor gets a little noise: zero-initialised layers are not a no-op, and no two
        for mod in (vae, te, un):  # initializers are equal (the exporter would share them; from_onnx maps by value)
            for p in mod.parameters():
                p.add_(torch.randn_like(p) * 0.02)
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    export_models(OUT, te, un, vae)
    write_pipeline_files(OUT)
    write_tokenizer(OUT, word2id)
    extra = {"name": "tiny ds (built-in architecture, random weights)",
             "description": "models.py at tiny widths, random weights: for the finetune tests only.",
             "resolution": 64, "latentScale": 1.0,
             "previewMatrix": [[0.3, 0.2, 0.3], [0.3, 0.5, 0.2], [-0.3, 0.2, 0.3], [-0.2, -0.3, -0.7]],
             "previewBias": [0.0, 0.0, 0.0],
             "defaults": {"steps": 4, "guidance": 3, "latentEditStart": 0.5, "pixelEditStart": 0.75, "dilationPx": 4,
                          "scheduler": "ddim"}}
    write_manifest(OUT, "tiny-ds", extra, ["a scratch", "a crack"])


if __name__ == "__main__":
    main()
