#!/usr/bin/env python3
"""Architecture-exact Stable Diffusion 1.5 packs with random weights, for the full-size benchmark (issue 15).

    /usr/bin/python3 tools/make-fullsize-packs.py [--out bench/fullsize-packs] [--variants none,inpainting,controlnet]
        [--dtypes fp32,fp16] [--scale 1.0]

Writes, per variant and dtype, an Optimum-layout export OUT/export/sd15-<variant>-<dtype>/ and then the pack
OUT/sd15-<variant>-<dtype>/ made from it by `defect-studio pack` (hard links, so the disk is counted once).
Never committed (OUT is git-ignored). Models, with SD-1.5's configs (written as unet/config.json etc.):
  UNet 860M parameters: 320/640/1280/1280 channels, 2 ResNets per level, one transformer (8 heads, cross
    attention to 768-d text) per level except the last, GEGLU feed-forward, 4 in-channels (9 for inpainting)
  VAE (83M): 128/256/512/512 channels, 2 ResNets down / 3 up, mid-block attention, 4 latent channels, x8
  text encoder: CLIP ViT-L/14 (123M): 77 positions, 768 width, 12 layers, 12 heads, quick-GELU, causal mask
  ControlNet (361M): the UNet's down and mid blocks, the hint encoder (16/32/96/256), 13 zero convolutions
The tokenizer files are copied from ../shared/clip-tokenizer into the generated export only.
fp32: the UNet's weights as external data (unet/model.onnx + model.onnx_data, 3.4 GB). fp16: every weight
stored as fp16 and cast to fp32 inside the graph (the file sizes of a real fp16 export, an fp32 body that
ORT's CPU EP can run; ORT may fold the casts at load, so fp16 here halves download and storage, not
necessarily the runtime's memory). Weights are random (N(0, 0.02) linears, default conv init): the
output is noise; this measures size, loading and speed, never quality.
--scale < 1 divides every channel width (e.g. 0.0625) for a quick check of the tool itself.
The text encoder and VAE are traced once per dtype (OUT/export/_common-<dtype>-<scale>/) and hard-linked into
each variant; the inpainting and ControlNet UNets are made from the text-to-image UNet's ONNX graph
(unet_variant); fp16 is converted from the fp32 export. Measured (README, "Use your own model"): the first pack,
sd15-none-fp32 (4.27 GB), 63 min and 10.0 GB peak RAM on the shared, loaded 2-core machine at nice 10 (463 s
of CPU); sd15-none-fp16 (2.13 GB) from it 13 min, 5.3 GB; sd15-inpainting-fp16 (with the fp32 inpainting
export on the way) 6.5 min, 5.3 GB at load average 10-14. Disk: about 4.3 / 2.1 GB per plain or inpainting
pack (fp32 / fp16), ControlNet packs 1.45 / 0.72 GB more.
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper, helper, TensorProto
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
TOKENIZER = os.environ.get('CLIP_TOKENIZER') or next(
    (p for p in (os.path.join(REPO, '..', 'shared', 'clip-tokenizer'), os.path.join(REPO, '..', '..', 'shared', 'clip-tokenizer'))
     if os.path.isdir(p)), os.path.join(REPO, '..', 'shared', 'clip-tokenizer'))
OPSET = 17
SEQ = 77


def groups(c):
    return 32 if c % 32 == 0 else 8  # SD: 32 groups; --scale widths are multiples of 8


def gn(c):
    return nn.GroupNorm(groups(c), c, eps=1e-5)


class Resnet(nn.Module):
    def __init__(self, cin, cout, temb):
        super().__init__()
        self.norm1, self.conv1 = gn(cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout) if temb else None
        self.norm2, self.conv2 = gn(cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, t=None):
        h = self.conv1(F.silu(self.norm1(x)))
        if self.time_emb_proj is not None:
            h = h + self.time_emb_proj(F.silu(t))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.conv_shortcut(x) if self.conv_shortcut is not None else x) + h


class Attention(nn.Module):
    def __init__(self, dim, ctx, heads):
        super().__init__()
        self.heads = heads
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(ctx, dim, bias=False)
        self.to_v = nn.Linear(ctx, dim, bias=False)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x, c=None):
        c = x if c is None else c
        b, n, d = x.shape
        h = self.heads
        q = self.to_q(x).reshape(b, n, h, d // h).transpose(1, 2)
        k = self.to_k(c).reshape(b, -1, h, d // h).transpose(1, 2)
        v = self.to_v(c).reshape(b, -1, h, d // h).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // h), dim=-1) @ v
        return self.to_out(a.transpose(1, 2).reshape(b, n, d))


class Transformer(nn.Module):
    """Transformer2D with one BasicTransformerBlock (self attention, cross attention, GEGLU)."""

    def __init__(self, ch, ctx, heads):
        super().__init__()
        self.norm = nn.GroupNorm(groups(ch), ch, eps=1e-6)
        self.proj_in, self.proj_out = nn.Conv2d(ch, ch, 1), nn.Conv2d(ch, ch, 1)
        self.norm1, self.attn1 = nn.LayerNorm(ch), Attention(ch, ch, heads)
        self.norm2, self.attn2 = nn.LayerNorm(ch), Attention(ch, ctx, heads)
        self.norm3 = nn.LayerNorm(ch)
        self.ff_in, self.ff_out = nn.Linear(ch, 8 * ch), nn.Linear(4 * ch, ch)

    def forward(self, x, ctx):
        b, c, hh, ww = x.shape
        h = self.proj_in(self.norm(x)).flatten(2).transpose(1, 2)
        h = h + self.attn1(self.norm1(h))
        h = h + self.attn2(self.norm2(h), ctx)
        a, g = self.ff_in(self.norm3(h)).chunk(2, dim=-1)
        h = h + self.ff_out(a * F.gelu(g))
        return self.proj_out(h.transpose(1, 2).reshape(b, c, hh, ww)) + x


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float().reshape(-1)[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)  # flip_sin_to_cos, as SD


class DownPath(nn.Module):
    """conv_in, time embedding, down blocks and mid block: shared by the UNet and the ControlNet."""

    def __init__(self, cin, chs, ctx, heads):
        super().__init__()
        c0, temb = chs[0], chs[0] * 4
        self.c0 = c0
        self.time_1, self.time_2 = nn.Linear(c0, temb), nn.Linear(temb, temb)
        self.conv_in = nn.Conv2d(cin, c0, 3, padding=1)
        self.res, self.att, self.down = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        self.skip_ch = [c0]
        prev = c0
        for i, c in enumerate(chs):
            for _ in range(2):
                self.res.append(Resnet(prev, c, temb))
                self.att.append(Transformer(c, ctx, heads) if i < len(chs) - 1 else nn.Identity())
                prev = c
                self.skip_ch.append(c)
            if i < len(chs) - 1:
                self.down.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
                self.skip_ch.append(c)
        self.mid1, self.mid_att, self.mid2 = Resnet(prev, prev, temb), Transformer(prev, ctx, heads), Resnet(prev, prev, temb)
        self.levels = len(chs)

    def forward(self, sample, timestep, ctx, hint=None):
        t = self.time_2(F.silu(self.time_1(timestep_embedding(timestep, self.c0)).expand(sample.shape[0], -1)))
        h = self.conv_in(sample)
        if hint is not None:
            h = h + hint
        skips = [h]
        k = 0
        for i in range(self.levels):
            for _ in range(2):
                h = self.res[k](h, t)
                att = self.att[k]
                h = att(h, ctx) if isinstance(att, Transformer) else h
                skips.append(h)
                k += 1
            if i < self.levels - 1:
                h = self.down[i](h)
                skips.append(h)
        h = self.mid2(self.mid_att(self.mid1(h, t), ctx), t)
        return h, t, skips


class UNet(nn.Module):
    def __init__(self, cin, chs, ctx, heads, control=False):
        super().__init__()
        self.control = control
        self.down = DownPath(cin, chs, ctx, heads)
        temb = chs[0] * 4
        self.res, self.att, self.up = nn.ModuleList(), nn.ModuleList(), nn.ModuleList()
        skip = list(self.down.skip_ch)
        prev = chs[-1]
        for i, c in enumerate(reversed(chs)):
            for _ in range(3):
                self.res.append(Resnet(prev + skip.pop(), c, temb))
                self.att.append(Transformer(c, ctx, heads) if i > 0 else nn.Identity())
                prev = c
            if i < len(chs) - 1:
                self.up.append(nn.Conv2d(c, c, 3, padding=1))
        self.norm_out, self.conv_out = gn(chs[0]), nn.Conv2d(chs[0], 4, 3, padding=1)
        self.levels = len(chs)

    def forward(self, sample, timestep, encoder_hidden_states, *res):
        h, t, skips = self.down(sample, timestep, encoder_hidden_states)
        if self.control:
            skips = [s + r for s, r in zip(skips, res[:-1])]
            h = h + res[-1]
        k = 0
        for i in range(self.levels):
            for _ in range(3):
                h = self.res[k](torch.cat([h, skips.pop()], dim=1), t)
                att = self.att[k]
                h = att(h, encoder_hidden_states) if isinstance(att, Transformer) else h
                k += 1
            if i < self.levels - 1:
                h = self.up[i](F.interpolate(h, scale_factor=2.0, mode='nearest'))
        return self.conv_out(F.silu(self.norm_out(h)))


class ControlNet(nn.Module):
    def __init__(self, chs, ctx, heads, hint_chs):
        super().__init__()
        self.down = DownPath(4, chs, ctx, heads)
        layers, prev = [nn.Conv2d(3, hint_chs[0], 3, padding=1), nn.SiLU()], hint_chs[0]
        for i, c in enumerate(hint_chs[1:]):
            layers += [nn.Conv2d(prev, prev, 3, padding=1), nn.SiLU(), nn.Conv2d(prev, c, 3, stride=2, padding=1), nn.SiLU()]
            prev = c
        layers.append(nn.Conv2d(prev, chs[0], 3, padding=1))
        self.hint = nn.Sequential(*layers)
        self.zero = nn.ModuleList(nn.Conv2d(c, c, 1) for c in self.down.skip_ch)
        self.zero_mid = nn.Conv2d(chs[-1], chs[-1], 1)

    def forward(self, sample, timestep, encoder_hidden_states, controlnet_cond):
        h, _, skips = self.down(sample, timestep, encoder_hidden_states, self.hint(controlnet_cond))
        return tuple(z(s) for z, s in zip(self.zero, skips)) + (self.zero_mid(h),)


class VaeAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm = gn(c)
        self.q, self.k, self.v, self.o = (nn.Linear(c, c) for _ in range(4))

    def forward(self, x):
        b, c, h, w = x.shape
        y = self.norm(x).flatten(2).transpose(1, 2)
        a = torch.softmax(self.q(y) @ self.k(y).transpose(1, 2) / math.sqrt(c), dim=-1) @ self.v(y)
        return x + self.o(a).transpose(1, 2).reshape(b, c, h, w)


class VaeEncoder(nn.Module):
    def __init__(self, chs, lat):
        super().__init__()
        self.conv_in = nn.Conv2d(3, chs[0], 3, padding=1)
        blocks, prev = [], chs[0]
        for i, c in enumerate(chs):
            blocks += [Resnet(prev, c, 0), Resnet(c, c, 0)]
            prev = c
            if i < len(chs) - 1:
                blocks.append(nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(c, c, 3, stride=2)))
        self.blocks = nn.ModuleList(blocks)
        self.mid = nn.ModuleList([Resnet(prev, prev, 0), VaeAttention(prev), Resnet(prev, prev, 0)])
        self.norm_out, self.conv_out = gn(prev), nn.Conv2d(prev, 2 * lat, 3, padding=1)
        self.quant_conv = nn.Conv2d(2 * lat, 2 * lat, 1)

    def forward(self, sample):
        h = self.conv_in(sample)
        for b in list(self.blocks) + list(self.mid):
            h = b(h)
        return self.quant_conv(self.conv_out(F.silu(self.norm_out(h))))  # latent_parameters: mean, logvar


class VaeDecoder(nn.Module):
    def __init__(self, chs, lat):
        super().__init__()
        top = chs[-1]
        self.post_quant_conv = nn.Conv2d(lat, lat, 1)
        self.conv_in = nn.Conv2d(lat, top, 3, padding=1)
        self.mid = nn.ModuleList([Resnet(top, top, 0), VaeAttention(top), Resnet(top, top, 0)])
        blocks, prev = [], top
        for i, c in enumerate(reversed(chs)):
            blocks += [Resnet(prev, c, 0), Resnet(c, c, 0), Resnet(c, c, 0)]
            prev = c
            if i < len(chs) - 1:
                blocks.append(Upsample(c))
        self.blocks = nn.ModuleList(blocks)
        self.norm_out, self.conv_out = gn(prev), nn.Conv2d(prev, 3, 3, padding=1)

    def forward(self, latent_sample):
        h = self.conv_in(self.post_quant_conv(latent_sample))
        for b in list(self.mid) + list(self.blocks):
            h = b(h)
        return self.conv_out(F.silu(self.norm_out(h)))  # final Conv: the decoder edit's anchor


class Upsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode='nearest'))


class ClipText(nn.Module):
    def __init__(self, vocab, width, layers, heads):
        super().__init__()
        self.tok = nn.Embedding(vocab, width)
        self.pos = nn.Parameter(torch.randn(SEQ, width) * 0.01)
        self.layers = nn.ModuleList(nn.TransformerEncoderLayer(width, heads, 4 * width, dropout=0.0, activation=quick_gelu,
                                                               batch_first=True, norm_first=True) for _ in range(layers))
        self.final = nn.LayerNorm(width)
        self.register_buffer('mask', torch.triu(torch.full((SEQ, SEQ), float('-inf')), 1), persistent=False)

    def forward(self, input_ids):
        h = self.tok(input_ids) + self.pos[: input_ids.shape[1]]
        for layer in self.layers:
            h = layer(h, src_mask=self.mask)
        h = self.final(h)
        pooled = h[torch.arange(h.shape[0]), input_ids.argmax(dim=-1)]  # the end token has the largest id
        return h, pooled


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


def init_random(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.02 if p.dim() > 1 else torch.zeros_like(p))
    return model


def to_fp16_weights(model):
    """Every float initializer stored as fp16 and cast back to fp32 where it is used."""
    g = model.graph
    keep, casts = [], []
    for init in g.initializer:
        if init.data_type == TensorProto.FLOAT and init.name:
            arr = numpy_helper.to_array(init).astype(np.float16)
            half = numpy_helper.from_array(arr, init.name + '_fp16')
            keep.append(half)
            casts.append(helper.make_node('Cast', [half.name], [init.name], to=TensorProto.FLOAT, name=init.name + '_cast'))
        else:
            keep.append(init)
    del g.initializer[:]
    g.initializer.extend(keep)
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    return model


def export(module, args, path, inputs, outputs, dynamic, dtype, external):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmpdir'
    os.makedirs(tmp, exist_ok=True)
    raw = os.path.join(tmp, 'model.onnx')
    module.eval()
    with torch.no_grad():
        torch.onnx.export(module, tuple(args), raw, input_names=inputs, output_names=outputs, dynamic_axes=dynamic,
                          opset_version=OPSET, do_constant_folding=True)
    m = onnx.load(raw)  # loads external tensors too (torch writes them beside it above 2 GB)
    if dtype == 'fp16':
        m = to_fp16_weights(m)
    big = m.ByteSize() > 2_000_000_000 if dtype == 'fp16' else external
    if big or external:
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(path) + '_data', size_threshold=1024)
    else:
        onnx.save_model(m, path)
    shutil.rmtree(tmp)


COMMON = ('text_encoder', 'vae_encoder', 'vae_decoder')


def link_tree(src, dst):
    """Hard-link every file of src into dst (same file system), so a model shared by variants is stored once."""
    for d, _, fs in os.walk(src):
        rel = os.path.relpath(d, src)
        os.makedirs(os.path.join(dst, rel), exist_ok=True)
        for f in fs:
            target = os.path.join(dst, rel, f)
            if os.path.exists(target):
                os.remove(target)
            try:
                os.link(os.path.join(d, f), target)
            except OSError:
                shutil.copyfile(os.path.join(d, f), target)


def fp16_from(src, dst):
    """The fp16 model from the fp32 export: every weight stored as fp16 (cast back inside the graph)."""
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    m = to_fp16_weights(onnx.load(src))  # loads the external data too
    if m.ByteSize() > 2_000_000_000:
        onnx.save_model(m, dst, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(dst) + '_data', size_threshold=1024)
    else:
        onnx.save_model(m, dst)


def skip_shapes(chs, lat):
    """(channels, side) of the 12 down-block residuals (the UNet's skips) and the mid-block one, as DownPath makes them."""
    out, side = [(chs[0], lat)], lat
    for i, c in enumerate(chs):
        out += [(c, side)] * 2
        if i < len(chs) - 1:
            side //= 2
            out.append((c, side))
    return out, (chs[-1], side)


def unet_variant(src, dst, variant, chs, lat):
    """The inpainting or ControlNet UNet made from the text-to-image UNet's ONNX graph by the only edits that tell
    them apart in SD-1.5 (much faster than tracing 860M parameters again; the result is the same graph as
    UNet(..., control=True) or UNet(9, ...) exports): inpainting: conv_in takes 9 channels (weights of the 5 new
    channels random); ControlNet: each of the 12 skips is added to its residual input before the up path
    concatenates it, and the mid-block output to mid_block_res_sample."""
    m = onnx.load(src)
    g = m.graph
    sample = next(i for i in g.input if i.name == 'sample')
    if variant == 'inpainting':
        conv = next(n for n in g.node if n.op_type == 'Conv' and n.input[0] == 'sample')
        w = next(i for i in g.initializer if i.name == conv.input[1])
        arr = numpy_helper.to_array(w)
        extra = np.random.default_rng(6).standard_normal((arr.shape[0], 5) + arr.shape[2:]).astype(np.float32) * 0.02
        w.CopyFrom(numpy_helper.from_array(np.concatenate([arr, extra], axis=1), w.name))
        sample.type.tensor_type.shape.dim[1].dim_value = 9
    else:
        concats = [n for n in g.node if n.op_type == 'Concat' and len(n.input) == 2
                   and any(a.name == 'axis' and a.i == 1 for a in n.attribute)]
        assert len(concats) == 12, f'expected the 12 skip concatenations of the up path, found {len(concats)}'
        skips, mid = skip_shapes(chs, lat)
        adds = {}
        for k, c in enumerate(concats):  # the up path pops the skips from the last one
            i = 11 - k
            name = f'down_block_res_sample_{i}'
            g.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ['batch', skips[i][0], skips[i][1], skips[i][1]]))
            added = []
            if k == 0:
                out = c.input[0] + '_plus_mid_res'
                added.append(helper.make_node('Add', [c.input[0], 'mid_block_res_sample'], [out], name=out))
                c.input[0] = out
            out = c.input[1] + f'_plus_res{i}'
            added.append(helper.make_node('Add', [c.input[1], name], [out], name=out))
            c.input[1] = out
            adds[id(c)] = added
        g.input.append(helper.make_tensor_value_info('mid_block_res_sample', TensorProto.FLOAT, ['batch', mid[0], mid[1], mid[1]]))
        nodes = []
        for n in g.node:
            nodes += adds.get(id(n), [])
            nodes.append(n)
        del g.node[:]
        g.node.extend(nodes)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    onnx.save_model(m, dst, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=os.path.basename(dst) + '_data', size_threshold=1024)
    return sum(int(np.prod(i.dims)) for i in m.graph.initializer if i.data_type == TensorProto.FLOAT)


def build_common(out, dtype, scale):
    """Text encoder and VAE: the same in every variant (same seeds), made once per dtype and hard-linked."""
    common = os.path.join(out, 'export', f'_common-{dtype}-{scale:g}')
    if all(os.path.exists(os.path.join(common, p, 'model.onnx')) for p in COMMON):
        return common
    if dtype == 'fp16':
        src = build_common(out, 'fp32', scale)
        for p in COMMON:
            fp16_from(os.path.join(src, p, 'model.onnx'), os.path.join(common, p, 'model.onnx'))
        return common
    width, vae_chs, res, text_layers, text_heads = dims(scale)[2:7]
    te = init_random(ClipText(49408, width, text_layers, text_heads), 1)
    export(te, [torch.ones(2, SEQ, dtype=torch.int64)], os.path.join(common, 'text_encoder', 'model.onnx'), ['input_ids'],
           ['last_hidden_state', 'pooler_output'], {'input_ids': {0: 'batch'}}, 'fp32', False)
    del te
    lat = res // 8
    enc = init_random(VaeEncoder(vae_chs, 4), 4)
    export(enc, [torch.randn(1, 3, res, res)], os.path.join(common, 'vae_encoder', 'model.onnx'), ['sample'],
           ['latent_parameters'], {'sample': {0: 'batch'}, 'latent_parameters': {0: 'batch'}}, 'fp32', False)
    del enc
    dec = init_random(VaeDecoder(vae_chs, 4), 5)
    export(dec, [torch.randn(1, 4, lat, lat)], os.path.join(common, 'vae_decoder', 'model.onnx'), ['latent_sample'],
           ['sample'], {'latent_sample': {0: 'batch'}, 'sample': {0: 'batch'}}, 'fp32', False)
    return common


def dims(scale):
    s = lambda c: max(8, int(round(c * scale / 8)) * 8)  # noqa: E731
    chs, vae_chs, width = [s(320), s(640), s(1280), s(1280)], [s(128), s(256), s(512), s(512)], s(768)
    heads, text_layers, text_heads = 8, 12 if scale >= 1 else 2, 12 if width % 12 == 0 else 8
    res = 512 if scale >= 1 else 64
    return chs, heads, width, vae_chs, res, text_layers, text_heads, [s(16), s(32), s(96), s(256)]


def build(out, variant, dtype, scale):
    """The Optimum-layout export of one variant. fp16 is converted from the variant's fp32 export (made first
    when missing), not traced again; the text encoder and VAE are shared (build_common)."""
    chs, heads, width, vae_chs, res, _, _, hint_chs = dims(scale)
    lat = res // 8
    b = 2
    in_ch = 9 if variant == 'inpainting' else 4
    control = variant == 'controlnet'
    t0 = time.time()
    if os.path.exists(out):
        shutil.rmtree(out)
    n_unet = None
    if dtype == 'fp16':
        src = os.path.join(os.path.dirname(out), os.path.basename(out).replace('-fp16', '-fp32'))
        if not os.path.exists(os.path.join(src, 'model_index.json')):
            build(src, variant, 'fp32', scale)
        for part in ('unet', 'controlnet') if control else ('unet',):
            fp16_from(os.path.join(src, part, 'model.onnx'), os.path.join(out, part, 'model.onnx'))
    else:
        args = [torch.randn(b, 4, lat, lat), torch.tensor([999] * b, dtype=torch.int64), torch.randn(b, SEQ, width)]
        res_names = [f'down_block_res_sample_{i}' for i in range(12)] + ['mid_block_res_sample']
        base = os.path.join(os.path.dirname(out), os.path.basename(out).replace(f'-{variant}-', '-none-'))
        if variant != 'none':
            if not os.path.exists(os.path.join(base, 'model_index.json')):
                build(base, 'none', 'fp32', scale)
            n_unet = unet_variant(os.path.join(base, 'unet', 'model.onnx'), os.path.join(out, 'unet', 'model.onnx'),
                                  variant, chs, lat)
        else:
            unet = init_random(UNet(in_ch, chs, width, heads, control), 2)
            n_unet = sum(p.numel() for p in unet.parameters())
            names = ['sample', 'timestep', 'encoder_hidden_states']
            udyn = {n: {0: 'batch'} for n in names}
            udyn['out_sample'] = {0: 'batch'}
            export(unet, args, os.path.join(out, 'unet', 'model.onnx'), names, ['out_sample'], udyn, dtype, True)
            del unet
        if control:
            cn = init_random(ControlNet(chs, width, heads, hint_chs), 3)
            cargs = args[:3] + [torch.randn(b, 3, res, res)]
            cnames = ['sample', 'timestep', 'encoder_hidden_states', 'controlnet_cond']
            export(cn, cargs, os.path.join(out, 'controlnet', 'model.onnx'), cnames, res_names,
                   {n: {0: 'batch'} for n in cnames + res_names}, dtype, False)
            del cn
    common = build_common(os.path.dirname(os.path.dirname(out)), dtype, scale)
    for part in COMMON:
        link_tree(os.path.join(common, part), os.path.join(out, part))
    # configs (the parts `defect-studio pack` reads), scheduler, tokenizer, model index
    cfg = lambda rel, obj: json.dump(obj, open(os.path.join(out, rel), 'w'), indent=1)  # noqa: E731
    cfg('unet/config.json', {'_class_name': 'UNet2DConditionModel', 'in_channels': in_ch, 'out_channels': 4,
                             'sample_size': lat, 'block_out_channels': chs, 'cross_attention_dim': width,
                             'attention_head_dim': heads, 'layers_per_block': 2})
    for part in ('vae_encoder', 'vae_decoder'):
        cfg(f'{part}/config.json', {'_class_name': 'AutoencoderKL', 'latent_channels': 4, 'block_out_channels': vae_chs,
                                    'sample_size': res, 'scaling_factor': 0.18215})
    os.makedirs(os.path.join(out, 'scheduler'))
    cfg('scheduler/scheduler_config.json', {'_class_name': 'PNDMScheduler', 'beta_start': 0.00085, 'beta_end': 0.012,
                                            'beta_schedule': 'scaled_linear', 'num_train_timesteps': 1000,
                                            'set_alpha_to_one': False, 'skip_prk_steps': True, 'steps_offset': 1,
                                            'clip_sample': False, 'prediction_type': 'epsilon'})
    os.makedirs(os.path.join(out, 'tokenizer'))
    for f in ('vocab.json', 'merges.txt'):
        shutil.copyfile(os.path.join(TOKENIZER, f), os.path.join(out, 'tokenizer', f))
    index = {'_class_name': 'ORTStableDiffusionPipeline', 'scheduler': ['diffusers', 'PNDMScheduler'],
             'text_encoder': ['optimum', 'ORTModelTextEncoder'], 'tokenizer': ['transformers', 'CLIPTokenizer'],
             'unet': ['optimum', 'ORTModelUnet'], 'vae_decoder': ['optimum', 'ORTModelVaeDecoder'],
             'vae_encoder': ['optimum', 'ORTModelVaeEncoder']}
    if control:
        index['controlnet'] = ['optimum', 'ORTModelControlNet']
    cfg('model_index.json', index)
    return n_unet, time.time() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=os.path.join(REPO, 'bench', 'fullsize-packs'))
    ap.add_argument('--variants', default='none,inpainting,controlnet')
    ap.add_argument('--dtypes', default='fp32,fp16')
    ap.add_argument('--scale', type=float, default=1.0)
    a = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() // 2))
    for variant in a.variants.split(','):
        for dtype in sorted(a.dtypes.split(','), key=lambda d: d != 'fp32'):  # fp16 is converted from fp32
            name = f'sd15-{variant}-{dtype}'
            export_dir = os.path.join(a.out, 'export', name)
            n, secs = build(export_dir, variant, dtype, a.scale)
            pack_dir = os.path.join(a.out, name)
            if os.path.exists(pack_dir):
                shutil.rmtree(pack_dir)
            subprocess.run(['node', os.path.join(REPO, 'bin', 'defect-studio.mjs'), 'pack', '--from', export_dir,
                            '--out', pack_dir, '--id', name], check=True)
            size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(pack_dir) for f in fs)
            params = f'UNet {n / 1e6:.0f}M parameters, ' if n else ''
            print(f'{name}: {params}{size / 1e9:.2f} GB, export {secs:.0f} s', file=sys.stderr, flush=True)


if __name__ == '__main__':
    main()
