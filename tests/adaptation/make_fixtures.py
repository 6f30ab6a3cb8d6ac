"""Tiny random VAE decoders in the Stable Diffusion / Optimum layout, for the graph-edit tests.

Run with Debian's python (torch + onnx):  /usr/bin/python3 tests/adaptation/make_fixtures.py
Writes tests/adaptation/fixtures/{tiny-sd-decoder-fp32.onnx, tiny-sd-decoder-fp16.onnx,
tiny-sd-decoder-ext.onnx (+ .onnx_data), tiny-decoder-tanh.onnx, tiny-sd-decoder-cast.onnx}.
Deterministic (seeded); the files are committed so the tests need no python.
"""
import os
import numpy as np
import torch
import torch.nn as nn
import onnx
from onnx import numpy_helper, TensorProto

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures')
os.makedirs(HERE, exist_ok=True)
torch.manual_seed(1234)

C = 16


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm1 = nn.GroupNorm(4, c)
        self.conv1 = nn.Conv2d(c, c, 3, padding=1)
        self.norm2 = nn.GroupNorm(4, c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        h = self.conv1(nn.functional.silu(self.norm1(x)))
        h = self.conv2(nn.functional.silu(self.norm2(h)))
        return x + h


class TinyDecoder(nn.Module):
    """conv_in -> resblock -> upsample x2 -> conv -> resblock -> GroupNorm -> SiLU -> conv_out (3x3, 3 ch)."""

    def __init__(self, last='conv'):
        super().__init__()
        self.post_quant_conv = nn.Conv2d(4, 4, 1)
        self.conv_in = nn.Conv2d(4, C, 3, padding=1)
        self.block1 = ResBlock(C)
        self.up_conv = nn.Conv2d(C, C, 3, padding=1)
        self.block2 = ResBlock(C)
        self.conv_norm_out = nn.GroupNorm(4, C)
        self.conv_out = nn.Conv2d(C, 3, 3, padding=1)
        self.last = last

    def forward(self, latent_sample):
        h = self.conv_in(self.post_quant_conv(latent_sample))
        h = self.block1(h)
        h = nn.functional.interpolate(h, scale_factor=2.0, mode='nearest')
        h = self.block2(self.up_conv(h))
        h = self.conv_out(nn.functional.silu(self.conv_norm_out(h)))
        if self.last == 'tanh':
            h = torch.tanh(h)
        return h


def export(model, path):
    model.eval()
    x = torch.randn(1, 4, 8, 8)
    torch.onnx.export(
        model, (x,), path, input_names=['latent_sample'], output_names=['sample'],
        dynamic_axes={'latent_sample': {0: 'batch', 2: 'height', 3: 'width'},
                      'sample': {0: 'batch', 2: 'height_out', 3: 'width_out'}},
        opset_version=14, do_constant_folding=True)
    m = onnx.load(path)
    m.producer_name = 'defect-studio-fixture'
    onnx.save(m, path)
    return m


def to_fp16(m):
    """fp16 weights and fp16 graph inputs/outputs, like `optimum-cli export onnx --dtype fp16`."""
    g = m.graph
    # Resize's roi/scales inputs stay float32 (the operator's schema requires it)
    keep = {name for node in g.node if node.op_type == 'Resize' for name in node.input[1:]}
    for init in g.initializer:
        if init.data_type == TensorProto.FLOAT and init.name not in keep:
            arr = numpy_helper.to_array(init).astype(np.float16)
            init.CopyFrom(numpy_helper.from_array(arr, init.name))
    for node in g.node:
        if node.op_type == 'Constant' and node.output[0] not in keep:
            for a in node.attribute:
                if a.name == 'value' and a.t.data_type == TensorProto.FLOAT:
                    arr = numpy_helper.to_array(a.t).astype(np.float16)
                    a.t.CopyFrom(numpy_helper.from_array(arr, a.t.name))
        if node.op_type == 'Cast':
            for a in node.attribute:
                if a.name == 'to' and a.i == TensorProto.FLOAT:
                    a.i = TensorProto.FLOAT16
    for vi in list(g.input) + list(g.output):
        if vi.type.tensor_type.elem_type == TensorProto.FLOAT:
            vi.type.tensor_type.elem_type = TensorProto.FLOAT16
    del g.value_info[:]
    return m


def with_output_cast(m):
    """fp16 body with a trailing Cast to float32 (keep_io_types style output)."""
    g = m.graph
    out = g.output[0]
    old = out.name
    for node in g.node:
        for i, o in enumerate(node.output):
            if o == old:
                node.output[i] = old + '_fp16'
    g.node.append(onnx.helper.make_node('Identity', [old + '_fp16'], [old + '_id'], name='out_identity'))
    g.node.append(onnx.helper.make_node('Cast', [old + '_id'], [old], name='out_cast', to=TensorProto.FLOAT))
    out.type.tensor_type.elem_type = TensorProto.FLOAT
    return m


base = TinyDecoder()
m32 = export(base, os.path.join(HERE, 'tiny-sd-decoder-fp32.onnx'))

m16 = to_fp16(onnx.load(os.path.join(HERE, 'tiny-sd-decoder-fp32.onnx')))
onnx.save(m16, os.path.join(HERE, 'tiny-sd-decoder-fp16.onnx'))

mc = with_output_cast(to_fp16(onnx.load(os.path.join(HERE, 'tiny-sd-decoder-fp32.onnx'))))
onnx.save(mc, os.path.join(HERE, 'tiny-sd-decoder-cast.onnx'))

mext = onnx.load(os.path.join(HERE, 'tiny-sd-decoder-fp32.onnx'))
ext_path = os.path.join(HERE, 'tiny-sd-decoder-ext.onnx')
if os.path.exists(ext_path + '_data'):
    os.remove(ext_path + '_data')
onnx.save_model(mext, ext_path, save_as_external_data=True, all_tensors_to_one_file=True,
                location='tiny-sd-decoder-ext.onnx_data', size_threshold=0)

tanh = TinyDecoder(last='tanh')
tanh.load_state_dict(base.state_dict())
export(tanh, os.path.join(HERE, 'tiny-decoder-tanh.onnx'))

# reference values for the weight reader test
w = base.conv_out.weight.detach().numpy().astype(np.float32)
b = base.conv_out.bias.detach().numpy().astype(np.float32)
np.save(os.path.join(HERE, 'conv_out_weight.npy'), w)
with open(os.path.join(HERE, 'conv_out.json'), 'w') as f:
    import json
    json.dump({'weightShape': list(w.shape), 'weight': [float(v) for v in w.ravel()],
               'bias': [float(v) for v in b]}, f)
os.remove(os.path.join(HERE, 'conv_out_weight.npy'))
for name in sorted(os.listdir(HERE)):
    print(name, os.path.getsize(os.path.join(HERE, name)))
