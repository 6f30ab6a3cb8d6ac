"""Context normalisation, exactly as src/core/diffusion/contextnorm.ts (keep the two in step).

Per colour channel, gain = clamp(TARGET / mean over the context, 1/GAIN_MAX, GAIN_MAX), the context being the
object pixels outside the defect (if none: every non-defect pixel; if none: gain 1); x in [-1, 1] ->
u = (x + 1) / 2 -> clip(u * gain, 0, CLIP) -> 2u - 1. Undo after decoding: u = u' / gain.
"""
import numpy as np
import torch

TARGET = 0.5
GAIN_MAX = 3.0
CLIP = 1.5


def gains_u8(img_u8, defect, obj):
    """img_u8 [H,W,3] uint8 (x = v / 127.5 - 1, so u = v / 255); defect, obj bool [H,W] -> float32 [3]."""
    ctx = obj & ~defect
    if not ctx.any():
        ctx = ~defect
    if not ctx.any():
        return np.ones(3, np.float32)
    mean = img_u8[ctx].astype(np.float64).mean(0) / 255.0
    g = np.where(mean > 1e-6, TARGET / np.maximum(mean, 1e-6), GAIN_MAX)
    return np.clip(g, 1 / GAIN_MAX, GAIN_MAX).astype(np.float32)


def normalize_t(x, gains):
    """x [N,3,H,W] in [-1,1] (torch), gains [N,3] -> normalised x."""
    g = gains[:, :, None, None]
    return ((x + 1) * 0.5 * g).clamp(0, CLIP) * 2 - 1


def denormalize_t(xn, gains):
    g = gains[:, :, None, None]
    return (xn + 1) * 0.5 / g * 2 - 1
