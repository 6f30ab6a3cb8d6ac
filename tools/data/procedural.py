"""Seeded procedural generator of 256x256 surfaces and physically shaded defects with pixel-exact masks.

Every surface is an albedo map, a height map and a gloss value, lit by one directional light
(diffuse + specular from the height map's normals, plus a slow illumination gradient). A defect edits
albedo / height / gloss inside its support, the surface is re-rendered, and the defective render replaces
the normal one only inside the support: the mask is exactly the set of changed pixels' region, and the
pixels outside it are the normal image bit for bit.

Usage (library): sample(rng) -> dict(ok, defect, mask, obj, family, dtype)
CLI: python3 tools/data/procedural.py --out tools/data/cache/preview.png  (a preview grid)
"""
import math
import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

S = 256
FAMILIES = ["metal", "fabric", "wood", "leather", "tile", "mesh"]
DEFECTS = ["scratch", "crack", "hole", "stain", "dent", "cut", "color", "fold"]

_yy, _xx = np.mgrid[0:S, 0:S].astype(np.float32)


def _rot(theta, cx=S / 2, cy=S / 2):
    c, s = math.cos(theta), math.sin(theta)
    x, y = _xx - cx, _yy - cy
    return x * c + y * s, -x * s + y * c


def _noise(rng, sigma, shape=(S, S)):
    n = ndimage.gaussian_filter(rng.standard_normal(shape).astype(np.float32), sigma, mode="wrap")
    return n / (n.std() + 1e-6)


def _aniso_noise(rng, s_along, s_across, theta):
    big = int(S * 1.45)
    n = ndimage.gaussian_filter(rng.standard_normal((big, big)).astype(np.float32), (s_across, s_along), mode="wrap")
    n = ndimage.rotate(n, math.degrees(theta), reshape=False, order=1, mode="wrap")
    o = (big - S) // 2
    n = n[o:o + S, o:o + S]
    return (n - n.mean()) / (n.std() + 1e-6)


def _hsv(rng, h, s, v):
    import colorsys
    return np.array(colorsys.hsv_to_rgb(h % 1.0, min(max(s, 0), 1), min(max(v, 0), 1)), np.float32)


# ----------------------------------------------------------------------------------------- surfaces
def surf_metal(rng):
    th = rng.uniform(0, math.pi)
    base = rng.uniform(0.35, 0.8)
    tint = 1 + rng.uniform(-0.06, 0.06, 3).astype(np.float32)
    if rng.random() < 0.65:  # brushed
        st = _aniso_noise(rng, rng.uniform(15, 60), rng.uniform(0.5, 1.5), th)
        lf = _noise(rng, 30)
        lum = base + 0.06 * st + 0.04 * lf
        h = 0.4 * st
    else:  # machined (turned) marks
        r0 = rng.uniform(150, 600)
        a = rng.uniform(0, 2 * math.pi)
        cx, cy = S / 2 + r0 * math.cos(a), S / 2 + r0 * math.sin(a)
        r = np.sqrt((_xx - cx) ** 2 + (_yy - cy) ** 2)
        per = rng.uniform(2.0, 7.0)
        pat = np.sin(2 * math.pi * r / per + 0.6 * _noise(rng, 8))
        lum = base + 0.05 * pat + 0.03 * _noise(rng, 1.0)
        h = 0.5 * pat
    alb = lum[..., None] * tint
    return alb, h, rng.uniform(0.35, 0.8), rng.uniform(20, 60)


def surf_fabric(rng):
    th = rng.uniform(0, math.pi)
    u, v = _rot(th)
    hue = rng.random()
    c1 = _hsv(rng, hue, rng.uniform(0.1, 0.8), rng.uniform(0.3, 0.85))
    if rng.random() < 0.65:  # woven
        p = rng.uniform(3.5, 10)
        c2 = c1 * rng.uniform(0.75, 1.1) if rng.random() < 0.6 else _hsv(rng, hue + rng.uniform(-0.3, 0.3), rng.uniform(0.1, 0.8), rng.uniform(0.3, 0.85))
        i, j = np.floor(u / p), np.floor(v / p)
        fu, fv = u / p - i, v / p - j
        twill = rng.random() < 0.5
        over = ((i + j) % 3 == 0) if twill else ((i + j) % 2 == 0)
        hw = np.sqrt(np.clip(np.sin(math.pi * fu), 0, 1)) * (0.8 + 0.2 * np.cos(math.pi * (fv - 0.5)))
        hf = np.sqrt(np.clip(np.sin(math.pi * fv), 0, 1)) * (0.8 + 0.2 * np.cos(math.pi * (fu - 0.5)))
        h = np.where(over, hw + 0.3, hf)
        fib = _noise(rng, 0.7)
        alb = np.where(over[..., None], c1, c2) * (0.75 + 0.25 * h[..., None]) * (1 + 0.05 * fib[..., None])
        h = 1.6 * h + 0.1 * fib
    else:  # carpet / felt
        sc = rng.uniform(0.6, 1.6)
        n = _noise(rng, sc)
        lf = _noise(rng, 20)
        alb = c1 * (0.7 + 0.18 * n[..., None] + 0.06 * lf[..., None])
        h = 1.0 * n
    return alb.astype(np.float32), h.astype(np.float32), rng.uniform(0.0, 0.12), 8.0


def surf_wood(rng):
    th = rng.uniform(0, math.pi)
    u, v = _rot(th)
    per = rng.uniform(6, 26)
    d = _aniso_noise(rng, rng.uniform(40, 90), rng.uniform(6, 14), th)
    phase = v / per + rng.uniform(0.6, 2.0) * d
    t = phase - np.floor(phase)
    prof = t ** rng.uniform(2, 6)
    light = _hsv(rng, rng.uniform(0.05, 0.11), rng.uniform(0.35, 0.65), rng.uniform(0.55, 0.9))
    dark = light * rng.uniform(0.45, 0.75)
    fib = _aniso_noise(rng, rng.uniform(8, 25), 0.6, th)
    alb = light * (1 - prof[..., None]) + dark * prof[..., None]
    alb = alb * (1 + 0.06 * fib[..., None])
    h = 0.3 * fib - 0.3 * prof
    return alb.astype(np.float32), h.astype(np.float32), rng.uniform(0.05, 0.35), 15.0


def surf_leather(rng):
    cell = rng.uniform(3, 10)
    n = int((S / cell) ** 2 * 1.2)
    pts = rng.uniform(-8, S + 8, (n, 2))
    tree = cKDTree(pts)
    q = np.stack([_xx.ravel(), _yy.ravel()], 1)
    dd, _ = tree.query(q, k=2)
    f = (dd[:, 1] - dd[:, 0]).reshape(S, S).astype(np.float32)
    pebble = np.clip(f / cell, 0, 1) ** 0.5
    choice = rng.integers(0, 4)
    base = [_hsv(rng, rng.uniform(0.04, 0.09), rng.uniform(0.5, 0.8), rng.uniform(0.25, 0.55)),
            _hsv(rng, 0, 0, rng.uniform(0.06, 0.18)),
            _hsv(rng, rng.uniform(0.08, 0.12), rng.uniform(0.3, 0.6), rng.uniform(0.55, 0.8)),
            _hsv(rng, rng.random(), rng.uniform(0.4, 0.8), rng.uniform(0.3, 0.6))][choice]
    lf = _noise(rng, 25)
    alb = base * (0.7 + 0.3 * pebble[..., None]) * (1 + 0.06 * lf[..., None])
    h = 1.5 * pebble + 0.15 * _noise(rng, 0.8)
    return alb.astype(np.float32), h.astype(np.float32), rng.uniform(0.1, 0.45), 12.0


def surf_tile(rng):
    th = rng.choice([0.0, math.pi / 4, rng.uniform(0, math.pi / 2)])
    u, v = _rot(th, rng.uniform(0, 200), rng.uniform(0, 200))
    ts = rng.uniform(36, 110)
    gw = rng.uniform(1.5, 5)
    i, j = np.floor(u / ts), np.floor(v / ts)
    du = np.minimum(u - i * ts, (i + 1) * ts - u)
    dv = np.minimum(v - j * ts, (j + 1) * ts - v)
    dist = np.minimum(du, dv)
    tile = np.clip((dist - gw / 2) / 1.5, 0, 1)
    col = _hsv(rng, rng.random(), rng.uniform(0.0, 0.6), rng.uniform(0.5, 0.95))
    grout = _hsv(rng, rng.random(), rng.uniform(0, 0.15), rng.uniform(0.3, 0.7))
    jit = ((np.sin(i * 12.9898 + j * 78.233) * 43758.5453) % 1.0).astype(np.float32)
    speck = _noise(rng, rng.uniform(0.6, 2))
    tc = col * (0.93 + 0.1 * jit[..., None]) * (1 + 0.03 * speck[..., None])
    alb = tile[..., None] * tc + (1 - tile[..., None]) * grout * (1 + 0.1 * _noise(rng, 0.7)[..., None])
    h = 2.0 * tile + 0.05 * speck
    return alb.astype(np.float32), h.astype(np.float32), rng.uniform(0.5, 0.9), 50.0


def surf_mesh(rng):
    th = rng.uniform(0, math.pi)
    u, v = _rot(th)
    p = rng.uniform(7, 20)
    w = rng.uniform(0.15, 0.35) * p
    du = np.abs(u / p - np.round(u / p)) * p
    dv = np.abs(v / p - np.round(v / p)) * p
    cu = np.sqrt(np.clip(1 - (du / w) ** 2, 0, 1))  # wires along v (constant u)
    cv = np.sqrt(np.clip(1 - (dv / w) ** 2, 0, 1))
    wave_u = np.sin(math.pi * v / p)  # weaving: wire goes over / under
    wave_v = -np.sin(math.pi * u / p)
    hu = cu * (2 + wave_u)
    hv = cv * (2 + wave_v)
    h = np.maximum(hu, hv)
    wire = (np.maximum(cu, cv) > 0).astype(np.float32)
    metal = _hsv(rng, rng.random(), rng.uniform(0, 0.25), rng.uniform(0.5, 0.85))
    back = _hsv(rng, rng.random(), rng.uniform(0, 0.4), rng.uniform(0.03, 0.3))
    back_n = back * (1 + 0.2 * _noise(rng, 6)[..., None])
    alb = wire[..., None] * metal * (0.8 + 0.2 * np.maximum(cu, cv)[..., None]) + (1 - wire[..., None]) * back_n
    return alb.astype(np.float32), (1.5 * h).astype(np.float32), rng.uniform(0.4, 0.8), 30.0


SURFACES = [surf_metal, surf_fabric, surf_wood, surf_leather, surf_tile, surf_mesh]


def render(alb, h, gloss, shin, L, illum):
    gy, gx = np.gradient(h)
    n = np.stack([-gx, -gy, np.ones_like(h)], -1)
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    diff = np.clip(n @ L, 0, 1)
    hv = L + np.array([0, 0, 1], np.float32)
    hv /= np.linalg.norm(hv)
    spec = np.clip(n @ hv, 0, 1) ** shin
    g = gloss if np.ndim(gloss) == 0 else gloss
    img = alb * (0.35 + 0.75 * diff[..., None]) * illum[..., None] + (g * 0.5 * spec * illum)[..., None]
    return img


# ------------------------------------------------------------------------------------------ shapes
def _curve(rng, length, curv, start=None, ang=None, step=0.5):
    n = max(int(length / step), 2)
    a = rng.uniform(0, 2 * math.pi) if ang is None else ang
    da = np.cumsum(rng.normal(0, curv, n)) * step
    da = ndimage.gaussian_filter1d(da, 6)
    angs = a + da
    p0 = rng.uniform(40, S - 40, 2) if start is None else np.asarray(start, float)
    pts = p0 + np.cumsum(np.stack([np.cos(angs), np.sin(angs)], 1) * step, 0)
    return pts


def _dist_to(pts, widths=None):
    line = np.zeros((S, S), bool)
    ip = np.round(pts).astype(int)
    ok = (ip[:, 0] >= 0) & (ip[:, 0] < S) & (ip[:, 1] >= 0) & (ip[:, 1] < S)
    if not ok.any():
        return None, None, None
    line[ip[ok, 1], ip[ok, 0]] = True
    d, ind = ndimage.distance_transform_edt(~line, return_indices=True)
    wmap = None
    if widths is not None:
        wimg = np.zeros((S, S), np.float32)
        # later points overwrite earlier: fine for monotone tapering
        wimg[ip[ok, 1], ip[ok, 0]] = widths[ok]
        wmap = wimg[ind[0], ind[1]]
    return d.astype(np.float32), wmap, ind


def _ellipse(cx, cy, a, b, th):
    c, s = math.cos(th), math.sin(th)
    x, y = _xx - cx, _yy - cy
    return np.sqrt(((x * c + y * s) / a) ** 2 + ((-x * s + y * c) / b) ** 2)


# ----------------------------------------------------------------------------------------- defects
def d_scratch(rng, A, H, G, L, ctr):
    pts = _curve(rng, rng.uniform(30, 180), rng.uniform(0.002, 0.03), start=ctr)
    w = rng.uniform(0.6, 2.0)
    d, _, _ = _dist_to(pts)
    p = np.clip(1 - (d / w) ** 2, 0, 1)
    H2 = H - rng.uniform(1.5, 4) * p
    A2 = A * (1 + rng.choice([-1, 1]) * rng.uniform(0.3, 0.7) * p)[..., None]
    return A2, H2, G, d <= w + 1.0


def d_crack(rng, A, H, G, L, ctr):
    main = _curve(rng, rng.uniform(40, 150), rng.uniform(0.05, 0.15), start=ctr)
    n = len(main)
    w0 = rng.uniform(1.0, 3.0)
    allp = [main]
    allw = [w0 * (1 - np.linspace(0, 1, n)) ** 0.7 + 0.4]
    for _ in range(rng.integers(0, 4)):
        k = rng.integers(n // 5, n - 1)
        br = _curve(rng, rng.uniform(10, 60), rng.uniform(0.05, 0.2), start=main[k])
        allp.append(br)
        allw.append(allw[0][k] * 0.7 * (1 - np.linspace(0, 1, len(br))) + 0.35)
    pts = np.concatenate(allp)
    ws = np.concatenate(allw).astype(np.float32)
    d, wm, _ = _dist_to(pts, ws)
    inside = np.clip(1 - d / np.maximum(wm, 0.3), 0, 1)
    lip = ((d > wm) & (d <= wm + 1.5)).astype(np.float32)
    H2 = H - 3.0 * inside
    dark = rng.uniform(0.05, 0.25)
    A2 = A * (1 - (1 - dark) * np.clip(inside * 2, 0, 1))[..., None] * (1 + 0.25 * lip)[..., None]
    return A2, H2, G, d <= wm + 1.5


def d_hole(rng, A, H, G, L, ctr):
    a = rng.uniform(5, 28)
    b = a * rng.uniform(0.6, 1.0)
    th = rng.uniform(0, math.pi)
    r = _ellipse(ctr[0], ctr[1], a, b, th)
    rim_w = rng.uniform(0.15, 0.4)
    inside = r < 1
    x, y = (_xx - ctr[0]) / a, (_yy - ctr[1]) / a
    lit = np.clip(-(x * L[0] + y * L[1]) / (np.hypot(L[0], L[1]) + 1e-6), -1, 1)  # far wall catches light
    depth_col = rng.uniform(0.02, 0.12) + rng.uniform(0.1, 0.3) * np.clip(lit, 0, 1) * np.clip(r, 0, 1) ** 2
    rim = np.clip(1 - np.abs(r - 1 - rim_w / 2) / (rim_w / 2), 0, 1)
    H2 = H + rng.uniform(0.5, 2.5) * rim - np.where(inside, 4.0 * (1 - r ** 2), 0)
    A2 = np.where(inside[..., None], (A.mean(-1, keepdims=True) * 0.3 + 0.7 * A) * depth_col[..., None] * 2.5, A * (1 - 0.15 * rim[..., None]))
    return A2, H2, G, r <= 1 + rim_w


def d_stain(rng, A, H, G, L, ctr):
    sig = rng.uniform(8, 35)
    r = _ellipse(ctr[0], ctr[1], sig, sig * rng.uniform(0.5, 1), rng.uniform(0, math.pi))
    f = np.exp(-r ** 2) * (1 + 0.6 * _noise(rng, sig / 3))
    t = rng.uniform(0.25, 0.5)
    alpha = np.clip((f - t) / rng.uniform(0.1, 0.4), 0, 1) * rng.uniform(0.6, 0.95)
    col = _hsv(rng, rng.uniform(0.0, 0.2) if rng.random() < 0.7 else rng.random(), rng.uniform(0.2, 0.8), rng.uniform(0.1, 0.6))
    tex = A / (A.mean(axis=(0, 1), keepdims=True) + 1e-3)
    A2 = A * (1 - alpha[..., None]) + alpha[..., None] * col * np.clip(tex, 0.5, 1.5)
    G2 = G * (1 - alpha) + alpha * rng.uniform(0.0, 0.9)
    return A2, H, G2, alpha > 0


def d_dent(rng, A, H, G, L, ctr):
    s = rng.uniform(5, 24)
    r = _ellipse(ctr[0], ctr[1], s, s * rng.uniform(0.5, 1), rng.uniform(0, math.pi))
    g = np.exp(-r ** 2 / 2)
    H2 = H - rng.uniform(0.6, 1.6) * s * g
    A2 = A * (1 - 0.08 * g)[..., None]
    return A2, H2, G, g > 0.05


def d_cut(rng, A, H, G, L, ctr):
    ln = rng.uniform(20, 120)
    a = rng.uniform(0, 2 * math.pi)
    p0 = np.array(ctr, float)
    t = np.linspace(0, 1, int(ln * 2))[:, None]
    pts = p0 + t * ln * np.array([math.cos(a), math.sin(a)])
    w = rng.uniform(0.8, 2.5)
    wm = w * np.sin(math.pi * np.clip(np.linspace(0, 1, len(pts)), 0.02, 0.98)) ** 0.3 + 0.3
    d, wmap, _ = _dist_to(pts, wm.astype(np.float32))
    inside = d <= wmap
    H2 = H - 5.0 * inside
    A2 = A * np.where(inside, rng.uniform(0.05, 0.2), 1.0)[..., None]
    return A2, H2, G, d <= wmap + 1.0


def d_color(rng, A, H, G, L, ctr):
    M = np.zeros((S, S), np.float32)
    col = _hsv(rng, rng.random(), rng.uniform(0.6, 1), rng.uniform(0.4, 1))
    for _ in range(rng.integers(1, 4)):
        c = np.array(ctr) + rng.normal(0, 10, 2)
        rad = rng.uniform(3, 16)
        ang = np.arctan2(_yy - c[1], _xx - c[0])
        rr = np.hypot(_xx - c[0], _yy - c[1])
        edge = rad * (1 + 0.15 * np.sin(3 * ang + rng.uniform(0, 6)) + 0.1 * np.sin(5 * ang + rng.uniform(0, 6)))
        M = np.maximum(M, np.clip(edge - rr + 0.5, 0, 1))
    alpha = M * rng.uniform(0.7, 1.0)
    lum = A.mean(-1, keepdims=True)
    lum = lum / (lum.mean() + 1e-3)
    A2 = A * (1 - alpha[..., None]) + alpha[..., None] * col * np.clip(0.7 + 0.3 * lum, 0.5, 1.3)
    return A2, H, G, M > 0


def d_fold(rng, A, H, G, L, ctr):
    pts = _curve(rng, rng.uniform(50, 200), rng.uniform(0.005, 0.03), start=ctr)
    sig = rng.uniform(2, 6)
    d, _, ind = _dist_to(pts)
    g = np.exp(-d ** 2 / (2 * sig ** 2))
    # pull the texture towards the ridge (material gathered into the fold)
    vy, vx = _yy - ind[0], _xx - ind[1]
    k = rng.uniform(0.3, 0.7)
    sy, sx = _yy + vy * k * g, _xx + vx * k * g
    A2 = np.stack([ndimage.map_coordinates(A[..., c], [sy, sx], order=1, mode="reflect") for c in range(3)], -1)
    Hw = ndimage.map_coordinates(H, [sy, sx], order=1, mode="reflect")
    H2 = Hw + rng.uniform(2, 6) * sig * 0.5 * g
    return A2, H2, G, d <= 2.6 * sig


DEFECT_FNS = [d_scratch, d_crack, d_hole, d_stain, d_dent, d_cut, d_color, d_fold]


def d_blister(rng, A, H, G, L, ctr):
    """A coating blister (not a built-in type; the fine-tuning evaluation's new defect): a cluster of 4-14 small
    round domes (2.5-7 px) pushed up under the coating, each lit by the surface's light (bright on the lit flank, shadow
    on the other, a glossier skin), the coating slightly paler where it is stretched."""
    n = int(rng.integers(4, 15))
    spread = rng.uniform(6, 20)
    Hb = np.zeros((S, S), np.float32)
    m = np.zeros((S, S), bool)
    for _ in range(n):
        c = np.array(ctr) + rng.normal(0, spread, 2)
        r = rng.uniform(2.5, 7.0)
        d = np.hypot(_xx - c[0], _yy - c[1]) / r
        dome = np.sqrt(np.clip(1 - d ** 2, 0, 1)) * r * rng.uniform(1.0, 1.8)
        Hb = np.maximum(Hb, dome.astype(np.float32))
        m |= d <= 1.25
    p = np.clip(Hb / (Hb.max() + 1e-6), 0, 1)
    A2 = A * (1 + rng.uniform(0.04, 0.15) * p)[..., None]
    G2 = G + rng.uniform(0.2, 0.5) * (p > 0.05)
    return A2, H + Hb, G2, m


# Defect types outside the built-in eight (rendered by the same functions' rules; not in DEFECTS / DEFECT_FNS,
# so the built-in training sets and classifiers do not change).
EXTRA_DEFECTS = {"blister": d_blister}


def _object_mask(rng):
    if rng.random() < 0.75:
        return np.ones((S, S), bool)
    if rng.random() < 0.5:
        r = _ellipse(rng.uniform(100, 156), rng.uniform(100, 156), rng.uniform(70, 140), rng.uniform(70, 140), rng.uniform(0, math.pi))
        return r <= 1
    x0, y0 = rng.uniform(0, 70, 2)
    x1, y1 = rng.uniform(186, 256, 2)
    rad = rng.uniform(4, 30)
    dx = np.maximum(np.maximum(x0 + rad - _xx, _xx - (x1 - rad)), 0)
    dy = np.maximum(np.maximum(y0 + rad - _yy, _yy - (y1 - rad)), 0)
    return np.hypot(dx, dy) <= rad


def sample(rng, family=None, dtype=None):
    fam = int(rng.integers(0, 6)) if family is None else family
    dt = int(rng.integers(0, 8)) if dtype is None else dtype
    alb, h, gloss, shin = SURFACES[fam](rng)
    alb = np.clip(alb * rng.uniform(0.85, 1.15), 0, 1).astype(np.float32)
    el = rng.uniform(0.35, 1.2)
    az = rng.uniform(0, 2 * math.pi)
    L = np.array([math.cos(az) * math.sin(el), math.sin(az) * math.sin(el), math.cos(el)], np.float32)
    ga = rng.uniform(0, 2 * math.pi)
    illum = (1 + rng.uniform(0, 0.25) * ((_xx - S / 2) * math.cos(ga) + (_yy - S / 2) * math.sin(ga)) / S).astype(np.float32)
    obj = _object_mask(rng)
    ys, xs = np.nonzero(ndimage.binary_erosion(obj, iterations=20) if not obj.all() else obj)
    ok = render(alb, h, gloss, shin, L, illum)
    if not obj.all():
        bcol = _hsv(rng, rng.random(), rng.uniform(0, 0.3), rng.uniform(0.05, 0.9))
        back = bcol * illum[..., None] * (1 + 0.02 * _noise(rng, 3)[..., None])
        shadow = ndimage.gaussian_filter(obj.astype(np.float32), 4)
        back = back * (1 - 0.35 * shadow[..., None])
        ok = np.where(obj[..., None], ok, back)
    mask = np.zeros((S, S), bool)
    for _ in range(4):
        k = rng.integers(0, len(ys))
        ctr = (float(xs[k]), float(ys[k]))
        if obj.all():
            ctr = tuple(rng.uniform(40, S - 40, 2))
        A2, H2, G2, m = DEFECT_FNS[dt](rng, alb, h, gloss, L, ctr)
        m = m & obj
        if m.sum() >= 12:
            mask = m
            break
    if not mask.any():
        mask = (_ellipse(S / 2, S / 2, 6, 6, 0) <= 1) & obj
        A2, H2, G2 = alb * 0.5, h, gloss
    bad = render(np.clip(A2, 0, 1), H2, G2, shin, L, illum)
    bad = np.where(mask[..., None], bad, ok)
    to8 = lambda x: (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)
    ok8, bad8 = to8(ok), to8(bad)
    # exactness: outside the mask the images are identical by construction
    return dict(ok=ok8, defect=bad8, mask=mask, obj=obj, family=fam, dtype=dt)


TRAIN_SEED = 1_000_003
EVAL_SEED = 9_000_011
CLF_SEED = 5_000_017  # the fidelity classifier's own training data (neither train nor eval)


def rng_for(split, idx):
    base = {"train": TRAIN_SEED, "eval": EVAL_SEED, "clf": CLF_SEED}[split]
    return np.random.default_rng([base, idx])


if __name__ == "__main__":
    import argparse, time
    from PIL import Image
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tools/data/cache/preview.png")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    t0 = time.time()
    rows = []
    for f in range(6):
        row = []
        for d in range(8):
            s = sample(np.random.default_rng([a.seed, f, d]), f, d)
            m = np.repeat(s["mask"][..., None], 3, -1).astype(np.uint8) * 255
            row.append(np.concatenate([s["defect"], m[::2, ::2].repeat(1, 0)[:128]], 0) if False else s["defect"])
        rows.append(np.concatenate(row, 1))
    print("48 samples in %.2fs" % (time.time() - t0))
    import os
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    Image.fromarray(np.concatenate(rows, 0)).save(a.out)
