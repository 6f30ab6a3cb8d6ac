#!/usr/bin/env python3
"""Generate tiny random-weight model packs in the Optimum/diffusers ONNX layout for the tests.

Run with Debian's torch:  /usr/bin/python3 tools/make-test-packs.py  (writes tests/fixtures/packs/<name>/)
(`--only tiny-sd-fp16w` makes only that pack, from the committed tiny-sd.)
The packs are committed; CI never runs this script. Tensor names follow real Optimum exports:
  text_encoder: input_ids -> last_hidden_state, pooler_output
  unet:         sample, timestep, encoder_hidden_states [, ControlNet residuals] -> out_sample
  vae_encoder:  sample -> latent_sample | latent_parameters
  vae_decoder:  latent_sample -> sample
  controlnet:   sample, timestep, encoder_hidden_states, controlnet_cond -> down_block_res_sample_0..11, mid_block_res_sample
"""
import hashlib
import json
import math
import os
import shutil
import sys
import zlib

import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'fixtures', 'packs')
SEQ = 77
OPSET = 17


def bytes_to_unicode():
    bs = list(range(ord('!'), ord('~') + 1)) + list(range(ord('¡'), ord('¬') + 1)) + list(range(ord('®'), ord('ÿ') + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


WORDS = ['a', 'an', 'with', 'of', 'the', 'photo', 'scratch', 'scratched', 'hole', 'crack', 'stain', 'dent',
         'metal', 'surface', 'wood', 'fabric', 'carpet', 'hazelnut', 'cut', 'fold', 'color', 'contamination']


def tiny_bpe():
    """A tiny CLIP-style BPE: every byte (plain and word-final) plus left-to-right merges of a few words."""
    b2u = bytes_to_unicode()
    base = list(b2u.values())
    vocab_list = base + [c + '</w>' for c in base]
    merges = []
    seen = set(vocab_list)
    for w in WORDS:
        syms = [b2u[b] for b in w.encode('utf-8')]
        syms[-1] = syms[-1] + '</w>'
        cur = syms[0]
        for s in syms[1:]:
            pair = (cur, s)
            merged = cur + s
            if merged not in seen:
                merges.append(pair)
                vocab_list.append(merged)
                seen.add(merged)
            cur = merged
    vocab_list += ['<|startoftext|>', '<|endoftext|>']
    vocab = {t: i for i, t in enumerate(vocab_list)}
    merges_txt = '#version: 0.2\n' + ''.join(f'{a} {b}\n' for a, b in merges)
    return vocab, merges_txt


def word_level():
    vocab = {'<pad>': 0, '<unk>': 1, '<bos>': 2, '<eos>': 3}
    for w in WORDS:
        vocab.setdefault(w, len(vocab))
    return {'type': 'word-level', 'vocab': vocab, 'unk_id': 1, 'pad_id': 0, 'bos_id': 2, 'eos_id': 3,
            'lowercase': True, 'max_length': SEQ}


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float().reshape(-1, 1) * freqs.reshape(1, -1)
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class TextEncoder(nn.Module):
    def __init__(self, vocab, dim):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.randn(SEQ, dim) * 0.1)
        self.ln = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, dim * 2), nn.GELU(), nn.Linear(dim * 2, dim))
        self.ln_final = nn.LayerNorm(dim)

    def forward(self, input_ids):
        h = self.emb(input_ids.long()) + self.pos
        h = h + self.mlp(self.ln(h))
        h = self.ln_final(h)
        return h, h[:, 0]


class UNet(nn.Module):
    def __init__(self, in_ch, out_ch, ch, dim, control=False):
        super().__init__()
        self.ch = ch
        self.control = control
        self.t_mlp = nn.Sequential(nn.Linear(ch, ch), nn.SiLU(), nn.Linear(ch, ch))
        self.conv_in = nn.Conv2d(in_ch, ch, 3, padding=1)
        self.q = nn.Conv2d(ch, ch, 1)
        self.k = nn.Linear(dim, ch)
        self.v = nn.Linear(dim, ch)
        self.down = nn.Conv2d(ch, 2 * ch, 3, stride=2, padding=1)
        self.mid = nn.Conv2d(2 * ch, 2 * ch, 3, padding=1)
        self.up = nn.Conv2d(2 * ch, ch, 3, padding=1)
        self.norm = nn.GroupNorm(4, ch)
        self.conv_out = nn.Conv2d(ch, out_ch, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states, *res):
        b = sample.shape[0]
        temb = self.t_mlp(timestep_embedding(timestep, self.ch))
        h = self.conv_in(sample) + temb[:, :, None, None]
        q = self.q(h).flatten(2).transpose(1, 2)
        k = self.k(encoder_hidden_states)
        v = self.v(encoder_hidden_states)
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(self.ch), dim=-1) @ v
        h = h + att.transpose(1, 2).reshape(h.shape)
        if self.control:
            h = h + res[0] + res[1] + res[2]
        h2 = self.down(F.silu(h))
        if self.control:
            h2 = h2 + res[3] + res[4] + res[5]
            for i, s in ((6, 2), (7, 2), (8, 2), (9, 4), (10, 4), (11, 4)):
                h2 = h2 + F.interpolate(res[i], scale_factor=s, mode='nearest')
        m = self.mid(F.silu(h2))
        if self.control:
            m = m + F.interpolate(res[12], scale_factor=4, mode='nearest')
        u = self.up(F.interpolate(F.silu(m), scale_factor=2, mode='nearest')) + h
        return self.conv_out(F.silu(self.norm(u)))


class ControlNet(nn.Module):
    def __init__(self, lat_ch, ch, dim, factor):
        super().__init__()
        self.ch = ch
        self.t_mlp = nn.Sequential(nn.Linear(ch, ch), nn.SiLU(), nn.Linear(ch, ch))
        self.conv_in = nn.Conv2d(lat_ch, ch, 3, padding=1)
        layers = [nn.Conv2d(3, 8, 3, padding=1), nn.SiLU()]
        for _ in range(int(math.log2(factor))):
            layers += [nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.SiLU()]
        layers += [nn.Conv2d(8, ch, 3, padding=1)]
        self.hint = nn.Sequential(*layers)
        self.k = nn.Linear(dim, ch)
        self.down = nn.Conv2d(ch, 2 * ch, 3, stride=2, padding=1)
        self.zero = nn.ModuleList([nn.Conv2d(ch if i < 3 else 2 * ch, ch if i < 3 else 2 * ch, 1) for i in range(13)])

    def forward(self, sample, timestep, encoder_hidden_states, controlnet_cond):
        temb = self.t_mlp(timestep_embedding(timestep, self.ch))
        ctx = self.k(encoder_hidden_states).mean(1)
        h = self.conv_in(sample) + self.hint(controlnet_cond) + temb[:, :, None, None] + ctx[:, :, None, None]
        h2 = self.down(F.silu(h))
        h4 = F.avg_pool2d(h2, 2)
        h8 = F.avg_pool2d(h2, 4)
        feats = [h, h, h, h2, h2, h2, h4, h4, h4, h8, h8, h8, h8]
        return tuple(z(f) * 0.1 for z, f in zip(self.zero, feats))


class VaeEncoder(nn.Module):
    def __init__(self, lat_ch, factor, parameters):
        super().__init__()
        self.parameters_out = parameters
        layers = [nn.Conv2d(3, 16, 3, padding=1)]
        for _ in range(int(math.log2(factor))):
            layers += [nn.SiLU(), nn.Conv2d(16, 16, 3, stride=2, padding=1)]
        layers += [nn.SiLU(), nn.Conv2d(16, 2 * lat_ch, 3, padding=1)]
        self.net = nn.Sequential(*layers)
        self.lat_ch = lat_ch

    def forward(self, sample):
        p = self.net(sample)
        if self.parameters_out:
            return p
        return p[:, : self.lat_ch]


class VaeDecoder(nn.Module):
    def __init__(self, lat_ch, factor):
        super().__init__()
        self.conv_in = nn.Conv2d(lat_ch, 16, 3, padding=1)
        ups = []
        for _ in range(int(math.log2(factor))):
            ups += [nn.Upsample(scale_factor=2, mode='nearest'), nn.Conv2d(16, 16, 3, padding=1), nn.SiLU()]
        self.up = nn.Sequential(*ups)
        self.norm_out = nn.GroupNorm(4, 16)
        self.conv_out = nn.Conv2d(16, 3, 3, padding=1)

    def forward(self, latent_sample):
        h = self.up(self.conv_in(latent_sample))
        return self.conv_out(F.silu(self.norm_out(h)))


class Half(nn.Module):
    """fp16 graph inputs and outputs around an fp32 body (ORT's CPU EP lacks many fp16 kernels)."""

    def __init__(self, inner, int_inputs=()):
        super().__init__()
        self.inner = inner
        self.int_inputs = set(int_inputs)

    def forward(self, *args):
        args = [a if i in self.int_inputs else a.float() for i, a in enumerate(args)]
        out = self.inner(*args)
        if isinstance(out, tuple):
            return tuple(o.half() for o in out)
        return out.half()


def export(model, args, path, inputs, outputs, dynamic, external=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    model.eval()
    with torch.no_grad():
        torch.onnx.export(model, tuple(args), path, input_names=inputs, output_names=outputs,
                          dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    if external:
        onnx.save_model(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(path) + '_data', size_threshold=0)
    else:
        onnx.save_model(m, path)


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        h.update(f.read())
    return h.hexdigest()


def make_pack(name, *, conditioning, concat=None, resolution, factor, lat_ch=4, dim=32, tokenizer='clip-bpe',
              fp16=False, ids_int32=False, scalar_timestep=False, latent_parameters=False, fixed_batch=False,
              external_unet=False, prediction='epsilon', spacing='leading', description=''):
    torch.manual_seed(zlib.crc32(name.encode()))
    out = os.path.join(ROOT, name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    lat = resolution // factor
    batch = 1 if fixed_batch else 2
    fdt = torch.float16 if fp16 else torch.float32

    # tokenizer
    tdir = os.path.join(out, 'tokenizer')
    os.makedirs(tdir)
    if tokenizer == 'clip-bpe':
        vocab, merges = tiny_bpe()
        with open(os.path.join(tdir, 'vocab.json'), 'w') as f:
            json.dump(vocab, f, ensure_ascii=False)
        with open(os.path.join(tdir, 'merges.txt'), 'w', encoding='utf-8') as f:
            f.write(merges)
        with open(os.path.join(tdir, 'special_tokens_map.json'), 'w') as f:
            json.dump({'bos_token': '<|startoftext|>', 'eos_token': '<|endoftext|>', 'pad_token': '<|endoftext|>',
                       'unk_token': '<|endoftext|>'}, f)
        with open(os.path.join(tdir, 'tokenizer_config.json'), 'w') as f:
            json.dump({'model_max_length': SEQ, 'do_lower_case': True, 'tokenizer_class': 'CLIPTokenizer'}, f)
        vocab_size = len(vocab)
    else:
        tok = word_level()
        with open(os.path.join(tdir, 'tokenizer.json'), 'w') as f:
            json.dump(tok, f)
        vocab_size = len(tok['vocab'])

    dyn = (lambda *names: {}) if fixed_batch else (lambda *names: {n: {0: 'batch'} for n in names})

    # text encoder
    te = TextEncoder(vocab_size, dim)
    ids = torch.zeros(batch, SEQ, dtype=torch.int32 if ids_int32 else torch.int64)
    te_m = Half(te, int_inputs=(0,)) if fp16 else te
    export(te_m, [ids], os.path.join(out, 'text_encoder', 'model.onnx'), ['input_ids'],
           ['last_hidden_state', 'pooler_output'], dyn('input_ids', 'last_hidden_state', 'pooler_output'))

    # unet (+ controlnet)
    extra = sum(lat_ch if c == 'masked_image_latent' else 1 for c in concat) if concat else 0
    in_ch = lat_ch + extra
    control = conditioning == 'controlnet'
    unet = UNet(in_ch, lat_ch, 16, dim, control=control)
    sample = torch.randn(batch, in_ch, lat, lat, dtype=fdt)
    if scalar_timestep:
        ts = torch.tensor(981.0, dtype=fdt)
    else:
        ts = torch.full((batch,), 981, dtype=torch.int64)
    ehs = torch.randn(batch, SEQ, dim, dtype=fdt)
    res_names = [f'down_block_res_sample_{i}' for i in range(12)] + ['mid_block_res_sample']
    res_shapes = [(16, lat)] * 3 + [(32, lat // 2)] * 3 + [(32, lat // 4)] * 3 + [(32, lat // 8)] * 4
    res = [torch.randn(batch, c, s, s, dtype=fdt) for c, s in res_shapes] if control else []
    unet_inputs = ['sample', 'timestep', 'encoder_hidden_states'] + (res_names if control else [])
    unet_m = Half(unet, int_inputs=() if scalar_timestep else (1,)) if fp16 else unet
    udyn = dyn(*(unet_inputs + ['out_sample']))
    if scalar_timestep:
        udyn.pop('timestep', None)
    export(unet_m, [sample, ts, ehs] + res, os.path.join(out, 'unet', 'model.onnx'), unet_inputs, ['out_sample'],
           udyn, external=external_unet)
    if control:
        cn = ControlNet(lat_ch, 16, dim, factor)
        cond = torch.rand(batch, 3, resolution, resolution, dtype=fdt)
        cn_inputs = ['sample', 'timestep', 'encoder_hidden_states', 'controlnet_cond']
        cdyn = dyn(*(cn_inputs + res_names))
        if scalar_timestep:
            cdyn.pop('timestep', None)
        cn_m = Half(cn, int_inputs=() if scalar_timestep else (1,)) if fp16 else cn
        export(cn_m, [torch.randn(batch, lat_ch, lat, lat, dtype=fdt), ts, ehs, cond],
               os.path.join(out, 'controlnet', 'model.onnx'), cn_inputs, res_names, cdyn)

    # vae
    enc = VaeEncoder(lat_ch, factor, latent_parameters)
    enc_m = Half(enc) if fp16 else enc
    enc_out = 'latent_parameters' if latent_parameters else 'latent_sample'
    export(enc_m, [torch.randn(batch, 3, resolution, resolution, dtype=fdt)], os.path.join(out, 'vae_encoder', 'model.onnx'),
           ['sample'], [enc_out], dyn('sample', enc_out))
    dec = VaeDecoder(lat_ch, factor)
    dec_m = Half(dec) if fp16 else dec
    export(dec_m, [torch.randn(batch, lat_ch, lat, lat, dtype=fdt)], os.path.join(out, 'vae_decoder', 'model.onnx'),
           ['latent_sample'], ['sample'], dyn('latent_sample', 'sample'))

    # scheduler and model index
    os.makedirs(os.path.join(out, 'scheduler'))
    with open(os.path.join(out, 'scheduler', 'scheduler_config.json'), 'w') as f:
        json.dump({'_class_name': 'PNDMScheduler', '_diffusers_version': '0.21.0', 'beta_start': 0.00085,
                   'beta_end': 0.012, 'beta_schedule': 'scaled_linear', 'num_train_timesteps': 1000,
                   'set_alpha_to_one': False, 'skip_prk_steps': True, 'steps_offset': 1, 'clip_sample': False,
                   'prediction_type': prediction, 'timestep_spacing': spacing, 'trained_betas': None}, f, indent=1)
    index = {'_class_name': 'ORTStableDiffusionPipeline', '_diffusers_version': '0.21.0',
             'scheduler': ['diffusers', 'PNDMScheduler'], 'text_encoder': ['optimum', 'ORTModelTextEncoder'],
             'tokenizer': ['transformers', 'CLIPTokenizer'], 'unet': ['optimum', 'ORTModelUnet'],
             'vae_decoder': ['optimum', 'ORTModelVaeDecoder'], 'vae_encoder': ['optimum', 'ORTModelVaeEncoder']}
    if control:
        index['controlnet'] = ['optimum', 'ORTModelControlNet']
    with open(os.path.join(out, 'model_index.json'), 'w') as f:
        json.dump(index, f, indent=1)

    files = {}
    for dirpath, _, names in os.walk(out):
        for n in sorted(names):
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, out).replace(os.sep, '/')
            files[rel] = {'bytes': os.path.getsize(p), 'sha256': sha256(p)}
    s = 0.18215
    manifest = {
        'format': 'defect-studio-pack@1', 'id': name, 'name': name.replace('-', ' '),
        'description': description or 'Tiny random-weight test pack (tools/make-test-packs.py); output is noise.',
        'conditioning': conditioning, 'resolution': resolution, 'latentChannels': lat_ch,
        'vaeScaleFactor': factor, 'latentScale': s,
        'previewMatrix': [[0.3512, 0.2297, 0.3227], [0.3250, 0.4974, 0.2350], [-0.2829, 0.1762, 0.2721],
                          [-0.2120, -0.2616, -0.7177]],
        'promptPresets': ['a metal surface with a scratch', 'a hazelnut with a hole'],
        'defaults': {'steps': 10, 'guidance': 7.5, 'latentEditStart': 0.52, 'pixelEditStart': 0.9,
                     'dilationPx': factor, 'scheduler': 'ddim'},
        'tokenizer': tokenizer,
        'files': dict(sorted(files.items())),
    }
    if concat:
        manifest['concatChannels'] = concat
    with open(os.path.join(out, 'defect-studio.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
    total = sum(v['bytes'] for v in files.values())
    print(f'{name}: {len(files)} files, {total / 1024:.0f} KiB', file=sys.stderr)


FLOAT16 = onnx.TensorProto.FLOAT16
FLOAT = onnx.TensorProto.FLOAT
MODELS = ('unet', 'controlnet', 'text_encoder', 'vae_encoder', 'vae_decoder')


def cast_fp16_weights(m):
    """Every float initializer stored as fp16 and cast back to fp32 where it is used: exactly how
    tools/make-fullsize-packs.py makes its fp16 packs (fp16 download and storage, an fp32 body ORT's CPU EP can
    run), by calling its to_fp16_weights (the file name has hyphens, hence importlib)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location('make_fullsize_packs', os.path.join(os.path.dirname(os.path.abspath(__file__)), 'make-fullsize-packs.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.to_fp16_weights(m)


def weight_fields(model_path, file_bytes):
    """The manifest's per-model fields (README, pack contract: "models"), computed here independently of
    `defect-studio pack`: the float type holding most initializer bytes, the bytes of 16-bit weights the graph
    casts to float32, and the run-time bytes (file bytes + those cast bytes, each such weight kept as float32)."""
    m = onnx.load(model_path)
    size = {FLOAT: 4, FLOAT16: 2, onnx.TensorProto.BFLOAT16: 2, onnx.TensorProto.DOUBLE: 8}
    names = {FLOAT: 'float32', FLOAT16: 'float16', onnx.TensorProto.BFLOAT16: 'bfloat16', onnx.TensorProto.DOUBLE: 'float64'}
    inits = {}
    by_type = {}
    for t in m.graph.initializer:
        if t.data_type in size:
            b = math.prod(t.dims) * size[t.data_type]
            inits[t.name] = (t.data_type, b)
            by_type[t.data_type] = by_type.get(t.data_type, 0) + b
    cast = set()
    for n in m.graph.node:
        to = [a.i for a in n.attribute if a.name == 'to']
        if n.op_type == 'Cast' and n.domain in ('', 'ai.onnx') and to == [FLOAT] and n.input and \
                inits.get(n.input[0], (0,))[0] in (FLOAT16, onnx.TensorProto.BFLOAT16):
            cast.add(n.input[0])
    cast_bytes = sum(inits[c][1] for c in cast)
    top = max(by_type.items(), key=lambda kv: kv[1])[0] if by_type else FLOAT
    return {'weightType': names[top], 'castToFloat32Bytes': cast_bytes, 'runtimeBytes': file_bytes + cast_bytes}


def fp16_weights_pack(src, name, description):
    """A pack made from `src` with every model's float weights stored as fp16 and cast to fp32 in the graph, and
    the manifest's per-model weight fields (README, pack contract)."""
    srcdir, out = os.path.join(ROOT, src), os.path.join(ROOT, name)
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(srcdir, out)
    with open(os.path.join(srcdir, 'defect-studio.json')) as f:
        manifest = json.load(f)
    for model in MODELS:
        p = os.path.join(out, model, 'model.onnx')
        if os.path.exists(p):
            onnx.save_model(cast_fp16_weights(onnx.load(p)), p)
    files = {}
    for dirpath, _, names in os.walk(out):
        for n in sorted(names):
            p = os.path.join(dirpath, n)
            rel = os.path.relpath(p, out).replace(os.sep, '/')
            if rel != 'defect-studio.json':
                files[rel] = {'bytes': os.path.getsize(p), 'sha256': sha256(p)}
    models = {}
    for model in MODELS:
        p = os.path.join(out, model, 'model.onnx')
        if os.path.exists(p):
            fb = sum(v['bytes'] for k, v in files.items() if k.startswith(model + '/') and
                     (k.endswith('.onnx') or k.endswith('_data')))
            models[model] = weight_fields(p, fb)
    manifest.update({'id': name, 'name': name.replace('-', ' '), 'description': description,
                     'files': dict(sorted(files.items())), 'models': models})
    with open(os.path.join(out, 'defect-studio.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
    print(f'{name}: {len(files)} files, {sum(v["bytes"] for v in files.values()) / 1024:.0f} KiB', file=sys.stderr)


FP16_WEIGHTS = ('tiny-sd-fp16w', 'tiny-sd',
                'tiny-sd with every weight stored as fp16 and cast to fp32 inside the graph (the layout of the '
                'full-size fp16 test packs); manifest with per-model weight fields.')


def main():
    torch.set_num_threads(1)
    if sys.argv[1:] == ['--only', FP16_WEIGHTS[0]]:  # from the committed tiny-sd, without rebuilding the others
        fp16_weights_pack(FP16_WEIGHTS[1], FP16_WEIGHTS[0], FP16_WEIGHTS[2])
        return
    make_pack('tiny-sd', conditioning='none', resolution=64, factor=8,
              description='SD-1.5-like: 4-channel UNet, CLIP BPE (tiny vocabulary), fp32, int64 ids and timestep.')
    make_pack('tiny-inpaint-fp16', conditioning='concat', concat=['mask', 'masked_image_latent'], resolution=64,
              factor=8, fp16=True, ids_int32=True, scalar_timestep=True, latent_parameters=True, fixed_batch=True,
              description='SD-inpainting-like: 9-channel UNet, fp16 I/O, int32 ids, scalar fp16 timestep, '
                          'latent_parameters, batch fixed at 1.')
    make_pack('tiny-controlnet', conditioning='controlnet', resolution=64, factor=8, external_unet=True,
              prediction='v_prediction', spacing='trailing',
              description='UNet + ControlNet, UNet weights as external data (model.onnx + model.onnx_data), v-prediction.')
    make_pack('tiny-builtin', conditioning='concat', concat=['defect_mask', 'object_mask', 'masked_image_latent'],
              resolution=32, factor=4, tokenizer='word-level',
              description='Built-in-like: 4x VAE, 10-channel concat UNet, word-level tokenizer, fp32 (WebGPU e2e).')
    fp16_weights_pack(FP16_WEIGHTS[1], FP16_WEIGHTS[0], FP16_WEIGHTS[2])


if __name__ == '__main__':
    main()
