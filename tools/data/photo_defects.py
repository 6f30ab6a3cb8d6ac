"""Physically shaded defects rendered onto real photographs (256x256 crops), with pixel-exact masks.

The photo is taken as already lit: albedo A = photo / (ambient + diffuse of a flat surface), a height proxy H
from its fine luminance detail (bright = high, small amplitude), and one directional light L whose azimuth
points to the brighter side of the photo's slow illumination gradient (random when the photo is evenly lit).
procedural.py's defect functions then edit A / H / gloss, and the DIFFERENCE of the two renders (defective
minus normal, same light) is added to the photo: geometric defects (scratch, dent, fold, crack, cut) change
the shading by the photo's own colour (multiplicative in albedo), so a red part stays red; holes, stains and
colour spots bring their own colours as before. Outside the defect's support the output is the photo byte
for byte; the mask is that support.

Usage (library): render_on_photo(rng, photo_u8_256, dtype) -> dict(ok, defect, mask, obj, dtype); dtype is an
index of procedural.DEFECTS or a defect function such as procedural.EXTRA_DEFECTS["blister"].
"""
import math
import numpy as np
from scipy import ndimage

import procedural as P

S = P.S


def _lum(x):
    return x @ np.array([0.299, 0.587, 0.114], np.float32)


def estimate_light(photo01, rng):
    """Azimuth towards the brighter side of the slow illumination gradient; random if it is weak."""
    y = ndimage.gaussian_filter(_lum(photo01), 24)
    gy, gx = np.gradient(y)
    mx, my = float(gx.mean()), float(gy.mean())
    mag = math.hypot(mx, my) * S / (y.mean() + 1e-3)
    if mag > 0.08 and rng.random() < 0.85:
        az = math.atan2(my, mx) + rng.normal(0, 0.3)
    else:
        az = rng.uniform(0, 2 * math.pi)
    el = rng.uniform(0.45, 1.1)  # angle from the normal
    return np.array([math.cos(az) * math.sin(el), math.sin(az) * math.sin(el), math.cos(el)], np.float32)


def height_proxy(photo01):
    y = _lum(photo01)
    hp = y - ndimage.gaussian_filter(y, 3)
    return (hp / (hp.std() + 1e-3) * 0.35).astype(np.float32)


def render_on_photo(rng, photo, dtype, obj=None):
    """photo: uint8 [256,256,3]. Returns ok (= photo), defect, mask (bool), obj, dtype."""
    ph = photo.astype(np.float32) / 255.0
    L = estimate_light(ph, rng)
    flat = 0.35 + 0.75 * float(L[2])
    A = ph / flat
    H = height_proxy(ph)
    # gloss: brighter, low-saturation photos are more often metallic / glossy
    sat = float((ph.max(-1) - ph.min(-1)).mean())
    gloss = float(np.clip(rng.uniform(0.0, 0.6) * (1.2 - sat), 0, 0.7))
    shin = float(rng.uniform(10, 60))
    illum = np.ones((S, S), np.float32)
    if obj is None:
        obj = np.ones((S, S), bool)
    ys, xs = np.nonzero(obj)
    fn = dtype if callable(dtype) else P.DEFECT_FNS[dtype]  # an index of the eight, or a function (EXTRA_DEFECTS)
    base = P.render(A, H, gloss, shin, L, illum)
    mask = None
    for _ in range(6):
        if obj.all():
            ctr = tuple(rng.uniform(40, S - 40, 2))
        else:
            k = rng.integers(0, len(ys))
            ctr = (float(xs[k]), float(ys[k]))
        A2, H2, G2, m = fn(rng, A, H, gloss, L, ctr)
        m = m & obj
        if m.sum() >= 12:
            mask = m
            break
    if mask is None:
        mask = (P._ellipse(S / 2, S / 2, 6, 6, 0) <= 1) & obj
        A2, H2, G2 = A * 0.5, H, gloss
    bad = ph + (P.render(np.clip(A2, 0, 1.0 / flat), H2, G2, shin, L, illum) - base)
    bad8 = (np.clip(bad, 0, 1) * 255 + 0.5).astype(np.uint8)
    out = np.where(mask[..., None], bad8, photo)
    return dict(ok=photo, defect=out, mask=mask, obj=obj, dtype=dtype)
