"""Physically shaded defects rendered onto real photographs (256x256 crops), with pixel-exact masks.

The photo is taken as already lit by one directional light L whose azimuth points to the brighter side of the
photo's slow illumination gradient (random when the photo is evenly lit).

Geometric defects (scratch, crack, hole, dent, cut, fold) are rendered IN THE PHOTO: each builds a height field of its
own (pixels), possibly a small displacement of the photo's texture (material pushed apart by a cut, gathered
into a fold, stretched by a dent), and the photo is multiplied by the change of shading that the height field
makes under L (Lambert + ambient, ambient occlusion of depressions, shadows cast along L by ray marching the
height field) plus the change of a specular highlight (the photo's own gloss estimate); so a red part stays
red, a dark interior keeps the material's colour, and every defect is lit from the photo's side.
  crack: a jagged, branching, tapering fissure (continuous anti-aliased distance to the curve), dark core, a
         lit lip on the wall that faces the light, a shadowed edge on the other side;
  hole:  an irregular pit with steep walls: the wall on the light's side in shadow, the opposite wall lit, a
         dark floor (occlusion, cast shadow) that keeps the photo's colour, a slight raised rim;
  dent:  a smooth depression (compact support) lit across (bright flank facing L, dark flank away from it),
         with a specular glint where its normal meets the half vector and the texture slightly stretched;
  fold:  a crease or a soft fold across the light: one flank lit, the other dark, the texture gathered;
  cut:   a lens-shaped slit: a sharp near-black gap, its edges pushed apart (texture displaced, slight shear),
         a lit far wall and a thin shadow on the near edge.
  scratch: a thin smooth groove (continuous coverage, tapered ends), bright (bare material) or dark, with a
         faint lit / shadowed edge pair.
  stain: an irregular soft blob that soaks the material (water / oil: darker, deeper colour, grain kept) or
         tints it (rust / coffee / dirt: a brownish factor multiplied in), sometimes a darker tide line at its
         edge; never brighter, so it is not a colour spot.
Colour spots (paint: an opaque saturated colour) use procedural.py's function on an albedo estimate (albedo =
photo / flat shading, a height proxy from the photo's fine luminance detail) and add the difference of the two
renders to the photo. Functions given by the caller (e.g. procedural.EXTRA_DEFECTS["blister"]) take that path
too.

Exactness: the output is the photo byte for byte outside the mask, and the mask is the changed support: the
pixels whose bytes differ, plus enclosed unchanged specks of at most 4 pixels (check(): `python3 photo_defects.py
check`).

Usage (library): render_on_photo(rng, photo_u8_256, dtype) -> dict(ok, defect, mask, obj, dtype); dtype is an
index of procedural.DEFECTS or a defect function such as procedural.EXTRA_DEFECTS["blister"].
CLI: python3 tools/data/photo_defects.py grid --out tools/data/cache/photo-defects-grid.jpg   (training photos)
     python3 tools/data/photo_defects.py check                                                (exactness self-check)
"""
import math
import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

import procedural as P

S = P.S
_yy, _xx = P._yy, P._xx
AMB, KD = 0.2, 0.8  # shading model of the geometric defects (ambient + diffuse; flat = AMB + KD * L_z)


def _lum(x):
    return x @ np.array([0.299, 0.587, 0.114], np.float32)


def estimate_light(photo01, rng, el_range=(0.45, 1.1)):
    """Azimuth towards the brighter side of the slow illumination gradient; random if it is weak."""
    y = ndimage.gaussian_filter(_lum(photo01), 24)
    gy, gx = np.gradient(y)
    mx, my = float(gx.mean()), float(gy.mean())
    mag = math.hypot(mx, my) * S / (y.mean() + 1e-3)
    if mag > 0.08 and rng.random() < 0.85:
        az = math.atan2(my, mx) + rng.normal(0, 0.3)
    else:
        az = rng.uniform(0, 2 * math.pi)
    el = rng.uniform(*el_range)  # angle from the normal
    return np.array([math.cos(az) * math.sin(el), math.sin(az) * math.sin(el), math.cos(el)], np.float32)


def height_proxy(photo01):
    y = _lum(photo01)
    hp = y - ndimage.gaussian_filter(y, 3)
    return (hp / (hp.std() + 1e-3) * 0.35).astype(np.float32)


# ------------------------------------------------------------------------------------- geometry helpers
def _densify(pts, step=0.4):
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    s = np.concatenate([[0], np.cumsum(seg)])
    n = max(int(s[-1] / step), 2)
    t = np.linspace(0, s[-1], n)
    return np.stack([np.interp(t, s, pts[:, 0]), np.interp(t, s, pts[:, 1])], 1), t


def _jagged(rng, start, ang, length, rough, seg=(3.0, 8.0)):
    """An irregular polyline (straight pieces of 3-8 px whose directions scatter around a slowly wandering
    heading), densified; returns points and arc length."""
    pts = [np.asarray(start, float)]
    head = ang
    total = 0.0
    while total < length:
        ln = rng.uniform(*seg)
        head += rng.normal(0, 0.12)
        a = head + rng.normal(0, rough)
        pts.append(pts[-1] + ln * np.array([math.cos(a), math.sin(a)]))
        total += ln
    return _densify(np.array(pts))


def _smooth_curve(rng, ctr, ang, length, curv):
    n = max(int(length / 0.5), 4)
    da = ndimage.gaussian_filter1d(np.cumsum(rng.normal(0, curv, n)) * 0.5, 8)
    angs = ang + da
    pts = np.cumsum(np.stack([np.cos(angs), np.sin(angs)], 1) * 0.5, 0)
    pts = pts - pts[n // 2] + np.asarray(ctr, float)  # centred on ctr
    return _densify(pts, 0.5)


def _field(pts, bound):
    """Distance of every pixel centre to the densified curve (inf beyond `bound`), index of the nearest point,
    signed offset across the curve (left of the direction of travel > 0)."""
    tree = cKDTree(pts)
    q = np.stack([_xx.ravel(), _yy.ravel()], 1)
    d, idx = tree.query(q, distance_upper_bound=bound)
    far = ~np.isfinite(d)
    idx[far] = 0
    d = d.reshape(S, S).astype(np.float32)
    idx = idx.reshape(S, S)
    tan = np.gradient(pts, axis=0)
    tan /= np.linalg.norm(tan, axis=1, keepdims=True) + 1e-9
    nx, ny = -tan[idx, 1], tan[idx, 0]
    u = ((_xx - pts[idx, 0]) * nx + (_yy - pts[idx, 1]) * ny).astype(np.float32)
    return d, idx, u, np.stack([nx, ny], -1).astype(np.float32), far.reshape(S, S)


def _ang_off_light(rng, L, min_off):
    """A direction at least min_off radians away from the light's azimuth (and from its opposite)."""
    la = math.atan2(L[1], L[0])
    return la + rng.choice([-1, 1]) * rng.uniform(min_off, math.pi - min_off)


def _warp(ph, dx, dy):
    """The photo sampled at (x + dx, y + dy) (bilinear, reflected at the border)."""
    co = [_yy + dy, _xx + dx]
    return np.stack([ndimage.map_coordinates(ph[..., c], co, order=1, mode="reflect") for c in range(3)], -1)


# ------------------------------------------------------------------------------------------- shading
def _shadow(h, L, soft=1.0, max_len=48):
    """Visibility of L (1 lit .. 0 shadowed) by ray marching the height field h (pixels) towards the light."""
    lxy = math.hypot(L[0], L[1])
    if lxy < 1e-3 or not h.any():
        return np.ones_like(h)
    dx, dy = L[0] / lxy, L[1] / lxy
    rise = L[2] / lxy  # height gained by the ray per pixel travelled
    span = float(h.max() - h.min())
    n = int(min(max_len, math.ceil(span / max(rise, 1e-3)) + 2))
    occ = np.zeros_like(h)
    for t in range(1, n + 1):
        hs = ndimage.map_coordinates(h, [_yy + dy * t, _xx + dx * t], order=1, mode="nearest")
        occ = np.maximum(occ, hs - h - t * rise)
    return np.clip(1 - occ / soft, 0, 1)


def _shade(ph, h, L, gloss, shin, ao=None, vis=None, albedo_gain=None, lit_max=0.6):
    """The photo re-lit for the height field h: ph * (ambient * ao + diffuse(n) * vis) / flat shading + the
    change of the specular highlight (light colour: white tinted a little by the photo's mean colour)."""
    gy, gx = np.gradient(h)
    n = np.stack([-gx, -gy, np.ones_like(h)], -1)
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    ndl = np.clip(n @ L, 0, 1)
    if vis is not None:
        ndl = ndl * vis
    amb = AMB * (ao if ao is not None else 1.0)
    ratio = (amb + KD * ndl) / (AMB + KD * float(L[2]))
    ratio = np.where(ratio > 1, 1 + lit_max * np.tanh((ratio - 1) / lit_max), ratio)  # a lit flank brightens, never blows out
    base = ph if albedo_gain is None else ph * albedo_gain[..., None]
    hv = L + np.array([0, 0, 1], np.float32)
    hv /= np.linalg.norm(hv)
    spec = np.clip(n @ hv, 0, 1) ** shin
    if vis is not None:
        spec = spec * vis
    dspec = spec - float(hv[2]) ** shin
    lc = 0.75 + 0.25 * ph.reshape(-1, 3).mean(0) / (ph.mean() + 1e-3)
    return base * ratio[..., None] + (gloss * 0.6 * dspec)[..., None] * lc


def _occlusion(h, sigma, scale):
    """Ambient occlusion of depressions: how far a pixel lies below its neighbourhood's mean height."""
    below = np.clip(ndimage.gaussian_filter(h, sigma) - h, 0, None)
    return np.exp(-below / max(scale, 1e-3)).astype(np.float32)


# ----------------------------------------------------------------------------- geometric defects on photos
# Each: (rng, ph float [S,S,3], L, gloss, shin, ctr) -> (image float, support bool)

def pd_scratch(rng, ph, L, gloss, shin, ctr):
    la = math.atan2(L[1], L[0])
    length = rng.uniform(30, 180)
    pts, s = _smooth_curve(rng, ctr, rng.uniform(0, 2 * math.pi), length, rng.uniform(0.002, 0.03))
    pts = pts - pts[0] + np.asarray(ctr)  # starts at ctr
    w0 = rng.uniform(0.6, 2.0)
    d, idx, _, _, far = _field(pts, 5.0)
    t = s[idx] / s[-1]
    w = w0 * np.clip(np.sin(math.pi * t), 0, 1) ** 0.25
    w[far] = 0
    half = w / 2
    # continuous coverage of the groove: a hairline stays a line (no dashes)
    cov = np.clip(half + 0.5 - d, 0, 1) * np.clip(w / 0.6, 0, 1)
    side = (_xx - pts[idx, 0]) * math.cos(la) + (_yy - pts[idx, 1]) * math.sin(la)
    band = np.exp(-((d - half - 0.3) / 0.4) ** 2) * np.clip(w / w0, 0, 1) * (d > half * 0.5)
    edge = 1 + band * np.where(side < 0, rng.uniform(0.1, 0.35), -rng.uniform(0.1, 0.3))
    k = rng.uniform(0.4, 0.9)
    if rng.random() < 0.6:  # bright: the coating / oxide scraped off, the bare material catches the light
        line = ph * (1 + k * cov)[..., None] + (0.25 * k * cov)[..., None]
    else:  # dark: a groove in shadow, dirt in it
        line = ph * (1 - k * cov)[..., None]
    return line * edge[..., None], (~far) & (d <= half + 1.0)


def pd_crack(rng, ph, L, gloss, shin, ctr):
    la = math.atan2(L[1], L[0])
    a0 = _ang_off_light(rng, L, 0.5)
    length = rng.uniform(40, 160)
    rough = rng.uniform(0.25, 0.6)
    main, s = _jagged(rng, ctr, a0, length, rough)
    main = main - main[len(main) // 2] + np.asarray(ctr)  # centred on ctr
    t = s / s[-1]
    w0 = rng.uniform(1.4, 3.5)  # widest opening (full width, px)
    mod = 1 + 0.9 * ndimage.gaussian_filter1d(rng.standard_normal(len(t)), 12)  # the opening varies (~ +-15%)
    wmain = np.clip(w0 * np.sin(math.pi * np.clip(t, 0, 1)) ** 0.6 * np.clip(mod, 0.5, 1.5), 0, None)
    curves, widths = [main], [wmain]
    for _ in range(int(rng.integers(1, 5))):
        k = int(rng.integers(len(main) // 6, len(main) * 5 // 6))
        ta = np.gradient(main, axis=0)[k]
        ba = math.atan2(ta[1], ta[0]) + rng.choice([-1, 1]) * rng.uniform(0.35, 1.1)
        bl = rng.uniform(0.15, 0.5) * length
        br, bs = _jagged(rng, main[k], ba, bl, rough)
        bw = wmain[k] * rng.uniform(0.5, 0.8) * (1 - bs / bs[-1]) ** 0.8
        curves.append(br)
        widths.append(bw)
    pts = np.concatenate(curves)
    ws = np.concatenate(widths).astype(np.float32)
    d, idx, _, _, far = _field(pts, 8.0)
    w = ws[idx]
    w[far] = 0
    half = w / 2
    # coverage of the open gap (anti-aliased; a hairline darkens part of a pixel instead of vanishing)
    cov = np.clip(half + 0.5 - d, 0, 1) * np.clip(w / 0.6, 0, 1)
    # which side of the crack: towards the light (its edge rolls away from the light: shadowed) or away
    # from it (its wall faces the light: the lit lip)
    off = np.stack([_xx - pts[idx, 0], _yy - pts[idx, 1]], -1)
    side = off @ np.array([math.cos(la), math.sin(la)], np.float32)
    wn = np.clip(w / w0, 0, 1) ** 0.5  # effects fade with the opening
    band = np.exp(-((d - half - 0.6) / 0.7) ** 2) * wn * (d > half * 0.5)
    lip_k = rng.uniform(0.35, 0.8)
    lip = band * (side < 0) * lip_k
    shade = band * (side >= 0) * rng.uniform(0.3, 0.6)
    halo = np.exp(-(np.clip(d - half, 0, None) / rng.uniform(0.8, 1.6)) ** 2) * wn * rng.uniform(0.0, 0.25)
    dark = rng.uniform(0.05, 0.22)
    # the gap shows the material in deep shadow (its own colour, darker), blurred a little (depth)
    deep = ndimage.gaussian_filter(ph, (1, 1, 0)) * dark
    gain = (1 - halo) * (1 - shade) * (1 + lip)
    out = ph * gain[..., None]
    out = out + (0.04 * lip)[..., None]  # a lit edge catches a little highlight even on dark material
    out = out * (1 - cov[..., None]) + deep * cov[..., None]
    sup = (~far) & (d <= half + 2.5)
    return out, sup


def pd_hole(rng, ph, L, gloss, shin, ctr):
    a = rng.uniform(5, 26)
    b = a * rng.uniform(0.65, 1.0)
    th = rng.uniform(0, math.pi)
    q = P._ellipse(ctr[0], ctr[1], a, b, th)
    ang = np.arctan2(_yy - ctr[1], _xx - ctr[0])
    rough = rng.uniform(0.0, 0.12)
    q = q * (1 + rough * (0.6 * np.sin(3 * ang + rng.uniform(0, 6)) + 0.4 * np.sin(5 * ang + rng.uniform(0, 6))))
    depth = a * rng.uniform(0.7, 2.0)
    wall = rng.uniform(0.25, 0.6)  # the sloped wall's width as a share of the radius (seen from above)
    prof = np.clip((1 - q) / wall, 0, 1)
    prof = prof * prof * (3 - 2 * prof)  # smoothstep: 0 at the rim, 1 on the floor
    rim_h = rng.uniform(0.3, 1.2) * min(a, 12) / 6
    rim_w = rng.uniform(1.5, 3.5) / a
    rim = np.exp(-((q - 1 - rim_w) / rim_w) ** 2) * (q > 1) * (q < 1 + 3 * rim_w)
    h = (-depth * prof + rim_h * rim).astype(np.float32)
    inside = q < 1
    vis = _shadow(h, L, soft=1.5)
    ao = _occlusion(h, a * 0.6, depth * 0.8)
    # the floor is far from the light and the camera's focus: darker, a little blurred, the same colour
    floor_k = rng.uniform(0.3, 0.65)
    gain = np.where(inside, 1 - (1 - floor_k) * prof, 1.0).astype(np.float32)
    # inside: the material's own colour and grain, not the surface's pattern continued through the opening
    blur_k = prof[..., None] * rng.uniform(0.5, 0.8)
    fine = ndimage.gaussian_filter(ph, (1.5, 1.5, 0))
    src = fine * (1 - blur_k) + ndimage.gaussian_filter(ph, (a * 0.6, a * 0.6, 0)) * blur_k
    src = np.where(inside[..., None], src, ph)
    out = _shade(src, h, L, gloss, shin, ao=ao, vis=vis, albedo_gain=gain, lit_max=0.35)  # no white halo on the rim
    out = out + (rng.uniform(0.04, 0.12) * prof)[..., None] * src  # light bounced inside: never flat black
    sup = q < 1 + 3 * rim_w
    return out, sup


def pd_dent(rng, ph, L, gloss, shin, ctr):
    R = rng.uniform(12, 40)  # smaller ones read as pits
    th = rng.uniform(0, math.pi)
    q = P._ellipse(ctr[0], ctr[1], R, R * rng.uniform(0.55, 1.0), th)
    ang = np.arctan2(_yy - ctr[1], _xx - ctr[0])
    q = q * (1 + 0.06 * np.sin(2 * ang + rng.uniform(0, 6)) + 0.04 * np.sin(3 * ang + rng.uniform(0, 6)))
    D = R * rng.uniform(0.22, 0.48)
    prof = np.clip(1 - q * q, 0, None) ** 2  # compact, zero slope at the edge: no seam
    h = (-D * prof).astype(np.float32)
    if rng.random() < 0.3:  # a sharper impact: a small crease ring where the bend is tightest
        h = h - 0.1 * D * np.exp(-((q - 0.6) / 0.08) ** 2) * prof
    gy, gx = np.gradient(h)
    k = rng.uniform(0.5, 1.2)  # texture stretched towards the slopes (parallax of the deformed surface)
    src = _warp(ph, k * gx, k * gy)
    ao = _occlusion(h, R * 0.5, D * 0.8)
    vis = _shadow(h, L, soft=2.0)  # under a raking light the near rim shades the bowl: read as a depression
    out = _shade(src, h, L, gloss, max(shin, 30.0), ao=ao, vis=vis)  # a tight glint, not a glow
    return out, q < 1


def pd_fold(rng, ph, L, gloss, shin, ctr):
    ang = _ang_off_light(rng, L, 0.7)  # the fold runs across the light: a light/dark pair
    length = rng.uniform(100, 260)
    pts, s = _smooth_curve(rng, ctr, ang, length, rng.uniform(0.003, 0.02))
    W = rng.uniform(4, 10)  # half width of the tilted flanks
    d, idx, u, _, far = _field(pts, W + 2)
    t = s[idx] / s[-1]
    amp = np.sin(math.pi * np.clip(t, 0, 1)) ** 0.4  # dies out at both ends
    amp[far] = 0
    A = W * rng.uniform(0.3, 0.6) * rng.choice([-1, 1], p=[0.3, 0.7])  # mostly a ridge, sometimes a valley
    x = np.clip(1 - np.abs(u) / W, 0, 1) * (~far)
    if rng.random() < 0.55:
        prof = x ** 2.0  # a crease: two tilted planes meeting in a sharp line
    else:
        prof = np.exp(-(u / (W * 0.45)) ** 2) * x ** 0.5  # a soft fold (fabric, foil)
    h = (A * amp * prof).astype(np.float32)
    # material gathered into the fold: the texture across it is compressed towards the crest
    c = rng.uniform(0.15, 0.45) * amp * x
    nrm = np.stack([-np.gradient(pts, axis=0)[idx, 1], np.gradient(pts, axis=0)[idx, 0]], -1)
    nrm /= np.linalg.norm(nrm, axis=-1, keepdims=True) + 1e-9
    shift = (u * c)[..., None] * nrm
    src = _warp(ph, shift[..., 0], shift[..., 1])
    vis = _shadow(h, L, soft=1.0) if A > 0 else None
    ao = _occlusion(h, W, W * 0.5)
    # folded material is mostly matte and its lit flank only a little brighter: a crease, not a bright rod
    out = _shade(src, h, L, gloss * 0.3, shin, ao=ao, vis=vis, lit_max=0.4)
    return out, (~far) & (np.abs(u) < W + 1.5) & (amp > 0)


def pd_cut(rng, ph, L, gloss, shin, ctr):
    la = math.atan2(L[1], L[0])
    a = _ang_off_light(rng, L, 0.5)
    ln = rng.uniform(20, 110)
    pts = np.asarray(ctr) + np.outer(np.linspace(-0.5, 0.5, 9), [math.cos(a), math.sin(a)]) * ln
    pts = pts + np.outer(np.sin(np.linspace(0, math.pi, 9)), [-math.sin(a), math.cos(a)]) * rng.normal(0, ln * 0.04)
    pts, s = _densify(pts, 0.4)
    g0 = rng.uniform(0.7, 2.4)  # widest half-opening (px)
    Wd = rng.uniform(1.5, 4)  # the edges are pushed apart over this width
    d, idx, u, nrm, far = _field(pts, g0 + Wd + 3)
    t = np.clip(s[idx] / s[-1], 0, 1)
    g = g0 * np.sin(math.pi * t) ** 0.5
    g[far] = 0
    au = np.abs(u)
    # texture displacement: the pixel at the gap's edge shows the material that was on the cut line
    f = np.clip(1 - (au - g) / Wd, 0, 1) * (~far)
    pull = np.sign(u) * g * f  # source offset towards the line
    shear = rng.normal(0, 0.8) * f * np.sign(u) * (g / g0)  # one lip slid along the cut
    tx, ty = np.gradient(pts, axis=0)[idx, 0], np.gradient(pts, axis=0)[idx, 1]
    tn = np.hypot(tx, ty) + 1e-9
    tx, ty = tx / tn, ty / tn
    src = _warp(ph, -pull * nrm[..., 0] + shear * tx, -pull * nrm[..., 1] + shear * ty)
    # edges pressed down by the blade: a small bevel into the gap, lit on the wall that faces the light
    side = (_xx - pts[idx, 0]) * math.cos(la) + (_yy - pts[idx, 1]) * math.sin(la)
    gn = np.clip(g / g0, 0, 1)
    band = np.exp(-((au - g - 0.5) / 0.6) ** 2) * gn * (au > g * 0.5) * (~far)
    gain = 1 + band * np.where(side < 0, rng.uniform(0.3, 0.7), -rng.uniform(0.3, 0.55))
    out = src * gain[..., None] + (0.04 * band * (side < 0))[..., None]
    cov = np.clip(g + 0.5 - au, 0, 1) * (~far) * np.clip(g / 0.5, 0, 1)
    wall = np.clip(1 - np.abs(au - g * 0.6) / max(g0 * 0.4, 0.5), 0, 1) * (side < 0) * (g > 1.2)
    deep = ndimage.gaussian_filter(ph, (1.5, 1.5, 0)) * (rng.uniform(0.04, 0.15) + 0.3 * wall[..., None])
    out = out * (1 - cov[..., None]) + deep * cov[..., None]
    return out, (~far) & (au <= g + Wd + 1.5)


def pd_stain(rng, ph, L, gloss, shin, ctr):
    sig = rng.uniform(8, 35)
    r = P._ellipse(ctr[0], ctr[1], sig, sig * rng.uniform(0.5, 1), rng.uniform(0, math.pi))
    f = np.exp(-r ** 2) * (1 + 0.6 * P._noise(rng, max(sig / 3, 1.5)))
    t = rng.uniform(0.25, 0.5)
    alpha = np.clip((f - t) / rng.uniform(0.1, 0.4), 0, 1) * rng.uniform(0.6, 1.0)
    # a tide line: what the liquid carried is left at its edge as it dried (darker thin ring)
    edge = np.exp(-((alpha - 0.12) / 0.1) ** 2) * (alpha > 0) * rng.choice([0.0, rng.uniform(0.1, 0.35)])
    kind = rng.random()
    if kind < 0.45:  # water / oil: the material soaked, darker and deeper in colour, its grain kept
        k = rng.uniform(0.25, 0.55)
        wet = ph ** rng.uniform(1.2, 1.6)
        out = ph * (1 - alpha[..., None]) + alpha[..., None] * wet * (1 - k)
    else:  # rust / coffee / dirt: a brownish tint multiplied in (the texture shows through)
        tint = P._hsv(rng, rng.uniform(0.02, 0.12), rng.uniform(0.45, 0.85), rng.uniform(0.35, 0.8))
        tint = tint / (tint.max() + 1e-3)
        out = ph * (1 - alpha[..., None] * (1 - tint * rng.uniform(0.55, 0.9)))
    out = out * (1 - edge)[..., None]
    return out, alpha > 0


PHOTO_FNS = {0: pd_scratch, 1: pd_crack, 2: pd_hole, 3: pd_stain, 4: pd_dent, 5: pd_cut, 7: pd_fold}


def _exact_mask(out8, photo, sup):
    """The changed support: pixels whose bytes differ (inside the defect's support), plus enclosed unchanged
    specks of <= 4 pixels."""
    ch = (out8 != photo).any(-1) & sup
    holes = ndimage.binary_fill_holes(ch) & ~ch
    if holes.any():
        lab, n = ndimage.label(holes)
        sizes = ndimage.sum(holes, lab, range(1, n + 1))
        ch = ch | np.isin(lab, 1 + np.nonzero(sizes <= 4)[0])
    return ch


def render_on_photo(rng, photo, dtype, obj=None):
    """photo: uint8 [256,256,3]. Returns ok (= photo), defect, mask (bool), obj, dtype."""
    ph = photo.astype(np.float32) / 255.0
    geo = (not callable(dtype)) and int(dtype) in PHOTO_FNS
    L = estimate_light(ph, rng, (0.6, 1.15) if geo else (0.45, 1.1))
    flat = 0.35 + 0.75 * float(L[2])
    sat = float((ph.max(-1) - ph.min(-1)).mean())
    # gloss: brighter, low-saturation photos are more often metallic / glossy
    gloss = float(np.clip(rng.uniform(0.0, 0.6) * (1.2 - sat), 0, 0.7))
    shin = float(rng.uniform(10, 60))
    if obj is None:
        obj = np.ones((S, S), bool)
    # centres >= 20 px inside the object (as procedural.sample does), so a defect is not cut in half by its edge
    inner = obj if obj.all() else ndimage.binary_erosion(obj, iterations=20)
    ys, xs = np.nonzero(inner if inner.any() else obj)
    if not geo:
        A = ph / flat
        H = height_proxy(ph)
        illum = np.ones((S, S), np.float32)
        fn = dtype if callable(dtype) else P.DEFECT_FNS[dtype]  # an index of the eight, or a function (EXTRA_DEFECTS)
        base = P.render(A, H, gloss, shin, L, illum)
    out8 = mask = None
    for _ in range(6):
        if obj.all():
            ctr = tuple(rng.uniform(40, S - 40, 2))
        else:
            k = rng.integers(0, len(ys))
            ctr = (float(xs[k]), float(ys[k]))
        if geo:
            img, sup = PHOTO_FNS[int(dtype)](rng, ph, L, gloss, shin, ctr)
        else:
            A2, H2, G2, sup = fn(rng, A, H, gloss, L, ctr)
            img = ph + (P.render(np.clip(A2, 0, 1.0 / flat), H2, G2, shin, L, illum) - base)
        o8 = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
        m = _exact_mask(o8, photo, sup & obj)
        if m.sum() >= 12:
            out8, mask = o8, m
            break
    if mask is None:  # nothing visible could be placed: a darkened disc
        disc = (P._ellipse(S / 2, S / 2, 6, 6, 0) <= 1) & obj
        out8 = np.where(disc[..., None], photo // 2, photo)
        mask = _exact_mask(out8, photo, disc)
    out = np.where(mask[..., None], out8, photo)
    return dict(ok=photo, defect=out, mask=mask, obj=obj, dtype=dtype)


# ------------------------------------------------------------------------------------------------ CLI
def _training_photos(n, seed=0):
    """n training photos (never the evaluation list), one of each material kind in turn, centre crops."""
    import photos as PH
    tr, _ = PH.split()
    rng = np.random.default_rng(seed)
    kinds = ["metal", "stone", "wood", "ceramic", "ground", "concrete", "fabric", "other"]
    out = []
    for i in range(n):
        pool = [r for r in tr if r["material"] == kinds[i % len(kinds)]] or tr
        r = pool[rng.integers(0, len(pool))]
        out.append((r, PH.eval_crop(PH.load_photo(r))))
    return out


def strength(s):
    m = s["mask"]
    return float(np.abs(s["defect"].astype(np.int16) - s["ok"].astype(np.int16))[m].mean())


def cmd_grid(a):
    from PIL import Image
    types = [P.DEFECTS.index(t) for t in a.types.split(",")] if a.types else list(range(8))
    phs = _training_photos(a.photos, a.seed)
    cs = a.tile
    rows = []
    st = {P.DEFECTS[t]: [] for t in types}
    for i, (rec, img) in enumerate(phs):
        row = []
        for t in types:
            s = render_on_photo(np.random.default_rng([a.seed, i, t]), img, t)
            st[P.DEFECTS[t]].append(strength(s))
            ys, xs = np.nonzero(s["mask"])
            cy = int(np.clip((ys.min() + ys.max()) // 2 - cs // 2, 0, S - cs))
            cx = int(np.clip((xs.min() + xs.max()) // 2 - cs // 2, 0, S - cs))
            sl = (slice(cy, cy + cs), slice(cx, cx + cs))
            pair = [s["ok"][sl], s["defect"][sl]]
            if a.mask:
                pair.append(np.repeat(s["mask"][sl][..., None] * 255, 3, -1).astype(np.uint8))
            row.append(np.concatenate(pair + [np.full((cs, 3, 3), 255, np.uint8)], 1))
        rows.append(np.concatenate(row, 1))
    im = np.concatenate(rows, 0)
    if a.zoom != 1:
        im = np.asarray(Image.fromarray(im).resize((im.shape[1] * a.zoom, im.shape[0] * a.zoom), Image.NEAREST))
    Image.fromarray(im).save(a.out, quality=a.quality)
    print("wrote", a.out, "; columns: " + ", ".join(P.DEFECTS[t] + " (photo | defect)" for t in types))
    print("mean |defect - photo| inside the mask:", {k: round(float(np.mean(v)), 1) for k, v in st.items()})


def check(n_photos=4, seed=1):
    """Exactness on synthetic photos (procedural surfaces, so no photo cache is needed, plus one red painted
    plate): for every type, output == photo outside the mask, mask == changed pixels (+ specks <= 4 px),
    mask >= 12 px, inside the object, deterministic; and shape figures (connected, light / dark pixels, the
    darkest decile's level and colour, thickness, the red plate staying red)."""
    res = {}
    for i in range(n_photos + 1):
        srng = np.random.default_rng([seed, i])
        Lp = np.array([0.5, 0.3, 0.81], np.float32)
        if i < n_photos:
            alb, h, gl, sh = P.SURFACES[i % len(P.SURFACES)](srng)
        else:  # a red painted plate with a little grain
            alb = np.array([0.75, 0.1, 0.08], np.float32) * (1 + 0.04 * P._noise(srng, 1.0))[..., None]
            h, gl, sh = 0.3 * P._noise(srng, 2.0), 0.1, 20.0
        img = (np.clip(P.render(np.clip(alb, 0, 1), h, gl, sh, Lp, np.ones((S, S), np.float32)), 0, 1) * 255 + 0.5).astype(np.uint8)
        obj = None if i % 2 == 0 else P._object_mask(np.random.default_rng([seed, i, 99]))
        for t in range(8):
            s = render_on_photo(np.random.default_rng([seed, i, t]), img, t, obj)
            s2 = render_on_photo(np.random.default_rng([seed, i, t]), img, t, obj)
            ch = (s["defect"] != img).any(-1)
            m = s["mask"]
            r = res.setdefault(P.DEFECTS[t], dict(n=0, outside_equal=0, mask_is_changed=0, min_px=10 ** 9,
                                                  deterministic=0, inside_obj=0, strength=[]))
            r["n"] += 1
            r["outside_equal"] += int((s["defect"][~m] == img[~m]).all())
            r["mask_is_changed"] += int((ch <= m).all() and (m & ~ch).sum() <= 4 * max(1, ndimage.label(m & ~ch)[1]))
            r["min_px"] = min(r["min_px"], int(m.sum()))
            r["deterministic"] += int((s["defect"] == s2["defect"]).all() and (m == s2["mask"]).all())
            r["inside_obj"] += int(not (m & ~s["obj"]).any())
            r["strength"].append(strength(s))
            if i == n_photos:
                px = s["defect"][m].astype(np.float32)
                r["red_kept"] = float((px[:, 0] > 1.3 * px[:, 1:].max(1)).mean())
            # shape: connected support, light / dark pixels, the darkest decile (not flat black)
            lab, n = ndimage.label(m, np.ones((3, 3)))
            big = np.bincount(lab[m]).max() / m.sum()
            r.setdefault("largest_component", []).append(float(big))
            dl = _lum(s["defect"][m].astype(np.float32)) - _lum(img[m].astype(np.float32))
            r.setdefault("darker", []).append(float((dl <= -8).mean()))
            r.setdefault("brighter", []).append(float((dl >= 8).mean()))
            lum = _lum(s["defect"][m].astype(np.float32))
            dk = lum <= np.quantile(lum, 0.1)
            r.setdefault("darkest_decile_ratio", []).append(float(lum[dk].mean() / (_lum(img[m].astype(np.float32))[dk].mean() + 1e-3)))
            r.setdefault("darkest_decile_chroma", []).append(float(np.ptp(s["defect"][m][dk].astype(np.float32), axis=1).mean()))
            ys, xs = np.nonzero(m)
            r.setdefault("fill", []).append(float(m.sum() / ((np.ptp(ys) + 1) * (np.ptp(xs) + 1))))
            edge = m & ~ndimage.binary_erosion(m)
            r.setdefault("thickness", []).append(float(2 * m.sum() / max(1, edge.sum())))  # ~ width of a line, radius of a disc
    for r in res.values():
        for k in ("strength", "largest_component", "darker", "brighter", "darkest_decile_ratio", "darkest_decile_chroma", "fill", "thickness"):
            r[k] = round(float(np.mean(r[k])), 3)
    return res


def main():
    import argparse, json, os, sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["grid", "check"])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "cache", "photo-defects-grid.jpg"))
    ap.add_argument("--photos", type=int, default=8)
    ap.add_argument("--types", default=None)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tile", type=int, default=96)
    ap.add_argument("--zoom", type=int, default=1)
    ap.add_argument("--quality", type=int, default=85)
    ap.add_argument("--mask", action="store_true")
    a = ap.parse_args()
    if a.cmd == "grid":
        cmd_grid(a)
    else:
        res = check()
        print(json.dumps(res))
        bad = [k for k, r in res.items() if not (r["outside_equal"] == r["mask_is_changed"] == r["deterministic"] == r["inside_obj"] == r["n"] and r["min_px"] >= 12)]
        if bad:
            raise SystemExit("photo_defects check FAILED for: " + ", ".join(bad))
        print("photo_defects check ok")


if __name__ == "__main__":
    main()
