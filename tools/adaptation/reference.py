"""PyTorch reference for stage 3 (METHOD.md): the reference implementation's online decoder adaptation,
i.e. every decoder weight optimised with AdamW (lr 1e-4, 200 iterations) on

    loss = mse(x_gen * M, D(z) * M) + 100 * mse(x_ok * (1 - M), D(z) * (1 - M)),   M = defect mask

and the weights reset for every image. Runs on the samples written by tools/adaptation/generate-samples.ts
(the same latents, x_gen, x_ok and masks the closed-form adapter sees) and writes reference.json next to them;
bench/adaptation.bench.ts puts the numbers side by side.

The decoder is rebuilt from the pack's ONNX file itself (a small ONNX -> torch interpreter: every float
initializer that is a weight becomes an nn.Parameter), so both sides use exactly the same weights and the
script works for any decoder made of the supported operators.

    /usr/bin/python3 tools/adaptation/reference.py --samples bench/results/adaptation/samples/<pack id> \
        [--n 50] [--iters 200] [--lr 1e-4] [--threads 1]

Debian's torch (1.13) on CPU; `--threads` defaults to 1 to share the machine.
"""
import argparse
import json
import os
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

SHAPE_INPUTS = {'Reshape': [1], 'Resize': [1, 2, 3], 'Expand': [1], 'Tile': [1], 'Slice': [1, 2, 3, 4],
                'Unsqueeze': [1], 'Squeeze': [1], 'ReduceMean': [1], 'Pad': [1, 2]}


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class OnnxModule(torch.nn.Module):
    """Executes an ONNX graph with torch ops; weight initializers are trainable parameters."""

    def __init__(self, model_path):
        super().__init__()
        m = onnx.load(model_path)
        self.graph = m.graph
        shape_like = set()
        for n in self.graph.node:
            for i in SHAPE_INPUTS.get(n.op_type, []):
                if i < len(n.input):
                    shape_like.add(n.input[i])
        self.params = torch.nn.ParameterDict()
        self.consts = {}
        self.names = {}
        for init in self.graph.initializer:
            arr = numpy_helper.to_array(init)
            if arr.dtype in (np.float16, np.float32, np.float64) and init.name not in shape_like and arr.ndim >= 1:
                key = 'p%d' % len(self.params)
                self.names[init.name] = key
                self.params[key] = torch.nn.Parameter(torch.from_numpy(arr.astype(np.float32)))
            else:
                self.consts[init.name] = torch.from_numpy(np.array(arr))
        self.input_name = self.graph.input[0].name
        self.output_name = self.graph.output[0].name

    def value(self, env, name):
        if name in env:
            return env[name]
        if name in self.names:
            return self.params[self.names[name]]
        return self.consts[name]

    def forward(self, x):
        env = {self.input_name: x}
        for n in self.graph.node:
            a = attrs(n)
            ins = [self.value(env, i) if i else None for i in n.input]
            op = n.op_type
            if op == 'Conv':
                pads = a.get('pads', [0, 0, 0, 0])
                if pads[0] != pads[2] or pads[1] != pads[3]:
                    xin = F.pad(ins[0], (pads[1], pads[3], pads[0], pads[2]))
                    pad = 0
                else:
                    xin, pad = ins[0], (pads[0], pads[1])
                y = F.conv2d(xin, ins[1], ins[2] if len(ins) > 2 else None, stride=tuple(a.get('strides', [1, 1])),
                             padding=pad, dilation=tuple(a.get('dilations', [1, 1])), groups=a.get('group', 1))
            elif op == 'Sigmoid':
                y = torch.sigmoid(ins[0])
            elif op == 'Tanh':
                y = torch.tanh(ins[0])
            elif op == 'Relu':
                y = torch.relu(ins[0])
            elif op == 'Mul':
                y = ins[0] * ins[1]
            elif op == 'Add':
                y = ins[0] + ins[1]
            elif op == 'Sub':
                y = ins[0] - ins[1]
            elif op == 'Div':
                y = ins[0] / ins[1]
            elif op in ('Identity', 'Cast'):
                y = ins[0]
                if op == 'Cast' and a['to'] in (6, 7):
                    y = y.to(torch.int64)
                elif op == 'Cast':
                    y = y.float()
            elif op == 'Constant':
                t = numpy_helper.to_array(a['value'])
                y = torch.from_numpy(np.array(t.astype(np.float32) if t.dtype == np.float16 else t))
            elif op == 'Shape':
                y = torch.tensor(list(ins[0].shape), dtype=torch.int64)
            elif op == 'Reshape':
                shape = [int(v) for v in ins[1].tolist()]
                shape = [ins[0].shape[i] if v == 0 else v for i, v in enumerate(shape)]
                y = ins[0].reshape(shape)
            elif op == 'InstanceNormalization':
                y = F.instance_norm(ins[0], weight=ins[1], bias=ins[2], eps=a.get('epsilon', 1e-5))
            elif op == 'Resize':
                mode = a.get('mode', b'nearest').decode()
                scales = ins[2] if len(ins) > 2 else None
                sizes = ins[3] if len(ins) > 3 else None
                if sizes is not None and sizes.numel() > 0:
                    y = F.interpolate(ins[0], size=[int(v) for v in sizes.tolist()[2:]], mode='nearest' if mode == 'nearest' else 'bilinear')
                else:
                    sf = [float(v) for v in scales.tolist()[2:]]
                    y = F.interpolate(ins[0], scale_factor=sf, mode='nearest' if mode == 'nearest' else 'bilinear')
            else:
                raise NotImplementedError('ONNX operator %s is not supported by the reference interpreter' % op)
            env[n.output[0]] = y
        return env[self.output_name]


def seam_band(defect, radius=4):
    d = torch.from_numpy(defect.astype(np.float32))[None, None]
    dil = F.max_pool2d(d, 2 * radius + 1, stride=1, padding=radius)[0, 0].numpy() > 0
    return dil & ~defect.astype(bool)


def masked_mse(a, b, mask):
    m = mask.astype(bool)
    if m.sum() == 0:
        return float('nan')
    return float(((a - b) ** 2)[:, m].mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--samples', required=True)
    ap.add_argument('--decoder', help='decoder ONNX (default: from samples.json)')
    ap.add_argument('--n', type=int, default=50)
    ap.add_argument('--iters', type=int, default=200)
    ap.add_argument('--lr', type=float, default=1e-4)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--out', help='default: <samples>/reference.json')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    meta = json.load(open(os.path.join(a.samples, 'samples.json')))
    dec_path = a.decoder or os.path.join(meta['packDir'], meta['decoder'])
    scale = meta['latentScale']
    module = OnnxModule(dec_path)
    init_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
    n_params = sum(p.numel() for p in module.parameters())
    results = []
    for s in meta['samples'][:a.n]:
        name, (c, h, w), W, H = s['name'], s['latentShape'], s['width'], s['height']
        rd = lambda suffix, dt: np.fromfile(os.path.join(a.samples, name + suffix), dtype=dt)  # noqa: E731
        z = torch.from_numpy(rd('.latent.f32', np.float32).reshape(1, c, h, w) / scale)
        xgen = rd('.xgen.f32', np.float32).reshape(3, H, W)
        xok = rd('.xok.f32', np.float32).reshape(3, H, W)
        defect = rd('.defect.u8', np.uint8).reshape(H, W)
        band = seam_band(defect)
        bg = defect == 0
        module.load_state_dict(init_state)  # the reference resets the decoder for every image
        M = torch.from_numpy(defect.astype(np.float32))[None, None]
        tg = torch.from_numpy(xgen)[None]
        tk = torch.from_numpy(xok)[None]
        opt = torch.optim.AdamW(module.parameters(), lr=a.lr)
        t0 = time.perf_counter()
        with torch.no_grad():
            plain = module(z)[0].numpy()
        for _ in range(a.iters):
            opt.zero_grad(set_to_none=True)
            out = module(z)
            loss = F.mse_loss(tg * M, out * M) + 100 * F.mse_loss(tk * (1 - M), out * (1 - M))
            loss.backward()
            opt.step()
        with torch.no_grad():
            ada = module(z)[0].numpy()
        secs = time.perf_counter() - t0
        r = {
            'name': name,
            'seconds': secs,
            # "before" is measured against the plain decode this interpreter computes (it equals x_gen up to
            # float rounding; both are reported)
            'plainVsXgenMaxAbs': float(np.abs(plain - xgen).max()),
            'backgroundMseBefore': masked_mse(xgen, xok, bg),
            'backgroundMseAfter': masked_mse(ada, xok, bg),
            'seamMseBefore': masked_mse(xgen, xok, band),
            'seamMseAfter': masked_mse(ada, xok, band),
            # inside the defect after clamping both to [-1, 1] (what the paste shows), as the bench does
            'defectMseVsGen': masked_mse(np.clip(ada, -1, 1), np.clip(xgen, -1, 1), defect),
            'defectMseVsGenUnclamped': masked_mse(ada, xgen, defect),
        }
        results.append(r)
        print('%s bg %.5f -> %.5f seam %.5f -> %.5f (%.1f s)' % (name, r['backgroundMseBefore'], r['backgroundMseAfter'],
                                                                 r['seamMseBefore'], r['seamMseAfter'], secs), flush=True)
        out_path = a.out or os.path.join(a.samples, 'reference.json')
        json.dump({'decoder': dec_path, 'parameters': n_params, 'iters': a.iters, 'lr': a.lr, 'threads': a.threads,
                   'torch': torch.__version__, 'results': results}, open(out_path, 'w'), indent=1)
    print('%d samples, %d parameters, mean %.1f s' % (len(results), n_params, np.mean([r['seconds'] for r in results])))


if __name__ == '__main__':
    main()
