"""The built-in model: a 4x VAE, a word-level text encoder and a concat-conditioned UNet (small, CPU-trainable)."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F

LATENT_C = 4
VAE_F = 4


class Res(nn.Module):
    """Norm-free residual block (the VAE runs on crops in training and on whole images in inference)."""

    def __init__(self, c):
        super().__init__()
        self.c1 = nn.Conv2d(c, c, 3, padding=1)
        self.c2 = nn.Conv2d(c, c, 3, padding=1)
        nn.init.zeros_(self.c2.bias)
        self.c2.weight.data *= 0.3

    def forward(self, x):
        return x + self.c2(F.silu(self.c1(F.silu(x))))


class VAEEncoder(nn.Module):
    def __init__(self, ch=(16, 32, 64), zc=LATENT_C):
        super().__init__()
        a, b, c = ch
        self.net = nn.Sequential(
            nn.Conv2d(3, a, 3, padding=1), Res(a),
            nn.Conv2d(a, b, 3, stride=2, padding=1), Res(b),
            nn.Conv2d(b, c, 3, stride=2, padding=1), Res(c), Res(c), nn.SiLU(),
            nn.Conv2d(c, 2 * zc, 3, padding=1))

    def forward(self, x):
        mean, logvar = self.net(x).chunk(2, 1)
        return mean, logvar.clamp(-30, 20)


class VAEDecoder(nn.Module):
    def __init__(self, ch=(16, 32, 64), zc=LATENT_C):
        super().__init__()
        a, b, c = ch
        self.body = nn.Sequential(
            nn.Conv2d(zc, c, 3, padding=1), Res(c), Res(c),
            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c, b, 3, padding=1), Res(b),
            nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(b, a, 3, padding=1), Res(a), nn.SiLU())
        self.conv_out = nn.Conv2d(a, 3, 3, padding=1)  # the LAST op (decoder adaptation solves it)

    def features(self, z):
        return self.body(z)

    def forward(self, z):
        return self.conv_out(self.body(z))


class VAE(nn.Module):
    def __init__(self, ch=(16, 32, 64)):
        super().__init__()
        self.encoder = VAEEncoder(ch)
        self.decoder = VAEDecoder(ch)


# ----------------------------------------------------------------------------------- text encoder
class SelfAttn(nn.Module):
    def __init__(self, d, heads=4):
        super().__init__()
        self.h = heads
        self.qkv = nn.Linear(d, 3 * d)
        self.o = nn.Linear(d, d)

    def forward(self, x):
        B, N, D = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.h, D // self.h).permute(2, 0, 3, 1, 4)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D // self.h), -1)
        return self.o((a @ v).transpose(1, 2).reshape(B, N, D))


class TextEncoder(nn.Module):
    def __init__(self, vocab, d=128, seq=77, layers=2):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.randn(1, seq, d) * 0.02)
        self.blocks = nn.ModuleList()
        for _ in range(layers):
            self.blocks.append(nn.ModuleList([nn.LayerNorm(d), SelfAttn(d), nn.LayerNorm(d),
                                              nn.Sequential(nn.Linear(d, 2 * d), nn.GELU(), nn.Linear(2 * d, d))]))
        self.ln = nn.LayerNorm(d)

    def forward(self, ids):
        x = self.tok(ids) + self.pos
        for n1, at, n2, mlp in self.blocks:
            x = x + at(n1(x))
            x = x + mlp(n2(x))
        return self.ln(x)


# -------------------------------------------------------------------------------------------- UNet
def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    a = t.to(torch.float32)[:, None] * freqs[None]
    return torch.cat([torch.cos(a), torch.sin(a)], 1)


class TRes(nn.Module):
    def __init__(self, cin, cout, temb):
        super().__init__()
        self.n1 = nn.GroupNorm(8, cin)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.t = nn.Linear(temb, cout)
        self.n2 = nn.GroupNorm(8, cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        nn.init.zeros_(self.c2.weight)
        nn.init.zeros_(self.c2.bias)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, te):
        h = self.c1(F.silu(self.n1(x))) + self.t(te)[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return self.skip(x) + h


class CrossAttn(nn.Module):
    """Optional self-attention, then cross-attention on the text, over the pixels of a feature map."""

    def __init__(self, c, dctx, heads=4, self_attn=False):
        super().__init__()
        self.h = heads
        self.self_attn = self_attn
        if self_attn:
            self.ns = nn.GroupNorm(8, c)
            self.qkv = nn.Linear(c, 3 * c)
            self.os = nn.Linear(c, c)
        self.n = nn.GroupNorm(8, c)
        self.q = nn.Linear(c, c)
        self.kv = nn.Linear(dctx, 2 * c)
        self.o = nn.Linear(c, c)
        nn.init.zeros_(self.o.weight)
        nn.init.zeros_(self.o.bias)

    def _attn(self, q, k, v):
        B, N, C = q.shape
        dh = C // self.h
        q = q.reshape(B, N, self.h, dh).transpose(1, 2)
        k = k.reshape(B, k.shape[1], self.h, dh).transpose(1, 2)
        v = v.reshape(B, v.shape[1], self.h, dh).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(dh), -1)
        return (a @ v).transpose(1, 2).reshape(B, N, C)

    def forward(self, x, ctx):
        B, C, H, W = x.shape
        if self.self_attn:
            s = self.ns(x).flatten(2).transpose(1, 2)
            q, k, v = self.qkv(s).chunk(3, -1)
            x = x + self.os(self._attn(q, k, v)).transpose(1, 2).reshape(B, C, H, W)
        s = self.n(x).flatten(2).transpose(1, 2)
        k, v = self.kv(ctx).chunk(2, -1)
        return x + self.o(self._attn(self.q(s), k, v)).transpose(1, 2).reshape(B, C, H, W)


class UNet(nn.Module):
    """in: noisy latent (C) + defect mask (1) + object mask (1) + masked-image latent (C); out: epsilon (C).

    Architecture config (saved as `unet_arch` = self.arch in every checkpoint; a checkpoint without it is the
    default, v1's network): ch, dctx, and the depth options of a grown network (grow.py):
      blocks_per_level: residual blocks a level in the down and the up path, one number for all three levels or
        [full, 1/2, 1/4] (1 = v1's UNet; every 3x3 conv costs the same at each level, so a block at 1/4 brings 16x the
        parameters of one at full resolution for the same compute); the extra ones follow
        the level's own block (and its attention) and are registered after all of v1's modules, so v1's parameters
        keep their names and their order (an optimiser state of v1's parameters stays valid);
      mid_blocks: residual blocks in the middle (at 1/4);
      extra_attn: each extra block at 1/2 and 1/4 is followed by its own attention (as that level's: cross-attention
        at 1/2, self + cross at 1/4).
    An extra block's output projections start at zero (TRes.c2, CrossAttn.o and .os), so it is the identity: the
    grown network computes exactly the function of the network it grew from (grow.py checks it)."""

    def __init__(self, cin=2 * LATENT_C + 2, cout=LATENT_C, ch=(32, 64, 128), dctx=128, blocks_per_level=1,
                 mid_blocks=1, extra_attn=False):
        super().__init__()
        bl = [int(k) for k in (blocks_per_level if isinstance(blocks_per_level, (list, tuple)) else [blocks_per_level] * 3)]
        if len(bl) != 3 or min(bl) < 1 or mid_blocks < 1:
            raise ValueError("blocks_per_level (one number or three) and mid_blocks must be >= 1")
        a, b, c = ch
        self.arch = {"ch": [int(a), int(b), int(c)], "dctx": int(dctx), "blocks_per_level": bl,
                     "mid_blocks": int(mid_blocks), "extra_attn": bool(extra_attn)}
        te = 4 * a
        self.a = a
        self.temb = nn.Sequential(nn.Linear(a, te), nn.SiLU(), nn.Linear(te, te))
        self.cin = nn.Conv2d(cin, a, 3, padding=1)
        self.d1 = TRes(a, a, te)
        self.down1 = nn.Conv2d(a, b, 3, stride=2, padding=1)
        self.d2 = TRes(b, b, te)
        self.x2 = CrossAttn(b, dctx)
        self.down2 = nn.Conv2d(b, c, 3, stride=2, padding=1)
        self.d3 = TRes(c, c, te)
        self.x3 = CrossAttn(c, dctx, self_attn=True)
        self.m = TRes(c, c, te)
        self.u3 = TRes(2 * c, c, te)
        self.ux3 = CrossAttn(c, dctx, self_attn=True)
        self.up2 = nn.Conv2d(c, b, 3, padding=1)
        self.u2 = TRes(2 * b, b, te)
        self.ux2 = CrossAttn(b, dctx)
        self.up1 = nn.Conv2d(b, a, 3, padding=1)
        self.u1 = TRes(2 * a, a, te)
        self.nout = nn.GroupNorm(8, a)
        self.cout = nn.Conv2d(a, cout, 3, padding=1)
        # the grown network's extra modules: registered LAST (v1's parameter names and order unchanged)
        n1, n2, n3 = (k - 1 for k in bl)
        res = lambda w, k: nn.ModuleList([TRes(w, w, te) for _ in range(k)])
        attn = lambda w, k, sa: nn.ModuleList([_zero_out(CrossAttn(w, dctx, self_attn=sa)) for _ in range(k if extra_attn else 0)])
        self.d1x, self.d2x, self.d3x = res(a, n1), res(b, n2), res(c, n3)
        self.x2x, self.x3x = attn(b, n2, False), attn(c, n3, True)
        self.mx = res(c, mid_blocks - 1)
        self.u3x, self.u2x, self.u1x = res(c, n3), res(b, n2), res(a, n1)
        self.ux3x, self.ux2x = attn(c, n3, True), attn(b, n2, False)

    @staticmethod
    def _extra(h, te, ctx, blocks, attns):
        for i, r in enumerate(blocks):
            h = r(h, te)
            if len(attns):
                h = attns[i](h, ctx)
        return h

    def forward(self, sample, timestep, encoder_hidden_states):
        te = self.temb(timestep_embedding(timestep, self.a))
        ctx = encoder_hidden_states
        X = self._extra
        h1 = X(self.d1(self.cin(sample), te), te, ctx, self.d1x, ())
        h2 = X(self.x2(self.d2(self.down1(h1), te), ctx), te, ctx, self.d2x, self.x2x)
        h3 = X(self.x3(self.d3(self.down2(h2), te), ctx), te, ctx, self.d3x, self.x3x)
        h = X(self.m(h3, te), te, ctx, self.mx, ())
        h = X(self.ux3(self.u3(torch.cat([h, h3], 1), te), ctx), te, ctx, self.u3x, self.ux3x)
        h = self.up2(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = X(self.ux2(self.u2(torch.cat([h, h2], 1), te), ctx), te, ctx, self.u2x, self.ux2x)
        h = self.up1(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        h = X(self.u1(torch.cat([h, h1], 1), te), te, ctx, self.u1x, ())
        return self.cout(F.silu(self.nout(h)))


def _zero_out(m):
    """An attention block whose output projections are zero: x -> x (the self-attention's too)."""
    for lin in ([m.o, m.os] if m.self_attn else [m.o]):
        nn.init.zeros_(lin.weight)
        nn.init.zeros_(lin.bias)
    return m


def unet_from_arch(arch=None):
    """The UNet of a checkpoint's `unet_arch` (None / missing keys: v1's defaults)."""
    arch = dict(arch or {})
    if "ch" in arch:
        arch["ch"] = tuple(arch["ch"])
    return UNet(**arch)
