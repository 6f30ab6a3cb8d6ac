"""Synthetic stage-3 samples straight from the built-in VAE's training checkpoint, before a pack exists.

    /usr/bin/python3 tools/adaptation/synthetic_from_checkpoint.py [--ckpt tools/train/runs/vae.pt] [--n 50]

"Generated" latent = the VAE mean of the procedural defect image (a perfect generator), x_gen = D(z),
x_ok = the normal image, M = the defect mask: the same files as generate-samples.ts --synthetic (latent
scale 1), plus the decoder exported to ONNX (opset 17, as tools/train/export.py does) so that the closed-form
bench and the PyTorch reference run on it. Output: bench/results/adaptation/samples/vae-ckpt-synthetic/.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'tools', 'train'))
from models import VAE  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--ckpt', default=os.path.join(ROOT, 'tools', 'train', 'runs', 'vae.pt'))
    ap.add_argument('--inputs', default=os.path.join(ROOT, 'bench', 'results', 'adaptation', 'inputs'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'bench', 'results', 'adaptation', 'samples', 'vae-ckpt-synthetic'))
    ap.add_argument('--n', type=int, default=50)
    a = ap.parse_args()
    torch.set_num_threads(1)
    vae = VAE()
    vae.load_state_dict(torch.load(a.ckpt, map_location='cpu')['model'])
    vae.eval()
    os.makedirs(a.out, exist_ok=True)
    dec_path = os.path.join(a.out, 'vae_decoder.onnx')
    with torch.no_grad():
        torch.onnx.export(vae.decoder, (torch.randn(1, 4, 64, 64),), dec_path, input_names=['latent_sample'],
                          output_names=['sample'], dynamic_axes={'latent_sample': {0: 'batch', 2: 'height', 3: 'width'},
                                                                 'sample': {0: 'batch', 2: 'height', 3: 'width'}},
                          opset_version=17, do_constant_folding=True)
    index = json.load(open(os.path.join(a.inputs, 'index.json')))[:a.n]
    samples = []
    for e in index:
        W, H = e['width'], e['height']
        rd = lambda s: np.fromfile(os.path.join(a.inputs, e['name'] + s), dtype=np.uint8)  # noqa: E731
        ok = rd('.rgb').reshape(H, W, 3).transpose(2, 0, 1).astype(np.float32) / 127.5 - 1
        dfx = rd('.defect.rgb').reshape(H, W, 3).transpose(2, 0, 1).astype(np.float32) / 127.5 - 1
        tri = rd('.trimap').reshape(H, W)
        with torch.no_grad():
            z = vae.encoder(torch.from_numpy(dfx)[None])[0]
            xgen = vae.decoder(z)[0].numpy().astype(np.float32)
        z = z[0].numpy().astype(np.float32)
        z.tofile(os.path.join(a.out, e['name'] + '.latent.f32'))
        xgen.tofile(os.path.join(a.out, e['name'] + '.xgen.f32'))
        ok.tofile(os.path.join(a.out, e['name'] + '.xok.f32'))
        (tri == 2).astype(np.uint8).tofile(os.path.join(a.out, e['name'] + '.defect.u8'))
        samples.append({'name': e['name'], 'family': e['family'], 'defect': e['defect'], 'prompt': e['prompt'],
                        'latentShape': list(z.shape), 'width': W, 'height': H})
    json.dump({'pack': 'vae-ckpt-synthetic', 'packDir': a.out, 'decoder': 'vae_decoder.onnx', 'latentScale': 1.0,
               'checkpoint': os.path.relpath(a.ckpt, ROOT), 'samples': samples}, open(os.path.join(a.out, 'samples.json'), 'w'), indent=1)
    print(f'{len(samples)} synthetic samples -> {a.out}')


if __name__ == '__main__':
    main()
