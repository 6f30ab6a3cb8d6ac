"""Photo defects drawn INSIDE a painted region (a trimap's defect class): the condition the app's user creates.

A user (and the evaluation, tools/train/evaluate_photos.py) paints a region - a few-pixel stroke along a line, a
blob - and types "a crack"; the model has to draw that defect inside the region, along the stroke or in the blob.
  render_in_trimap(rng, img, t, m, path, centre, fit=None)
      photo_defects.render_on_photo's defect type t steered along the polyline `path` (strokes) or centred on
      `centre` (blobs), clipped to the region m. fit=None is the EVALUATION's behaviour (check_clf.py,
      evaluate_photos.clf_ceiling; moved here from evaluate_photos.py byte for byte: the same renders for the same
      seeds). fit = the training generalisation (a dict from user_region): the defect's size follows the region
      (stroke half-width; blob axes and orientation; sometimes smaller than the region), a crack's main fissure is
      jagged along the stroke, a cut is one slit along the whole stroke.
  user_region(rng, kind, obj)
      the TRAINING side's user-style regions (own code and seeds; a broader family than evaluate_photos.trimap_geom
      so that training does not fit the evaluation's shapes): strokes of half-width 1-6 px, 1-5 segments,
      20-200 px in all, straight-segment, rounded or freehand-wobbly; blobs of radius 5-35 px as ellipses, irregular
      outlines or a few overlapping brush dabs.
  trimap_sample(rng, img, t, obj)
      one training sample: a region of the type's shape (STROKE types in strokes, the others in blobs) and the
      defect drawn in it; its conditioning mask is the whole painted region.
Used by tools/data/build_photo_cache.py --split train-trimap (training photos only). Self-check:
  /usr/bin/python3 tools/data/trimap_defects.py check
"""
import contextlib, math
import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

import photo_defects as PD
import procedural as P

S = P.S
STROKE = {"scratch", "crack", "cut", "fold"}  # the evaluation's stroke types (evaluate_photos.STROKE); others: blobs


# ------------------------------------------------------------------------------ steering photo_defects' renderers
class _FirstUniforms:
    """A numpy Generator whose first uniform() calls return given values (the length of photo_defects' cut)."""
    def __init__(self, rng, values):
        self._rng, self._q = rng, list(values)

    def uniform(self, *a, **k):
        return self._q.pop(0) if self._q else self._rng.uniform(*a, **k)

    def __getattr__(self, name):
        return getattr(self._rng, name)


class _Resized:
    """A numpy Generator wrapper that maps the draws of given uniform(lo, hi) / normal(loc, scale) calls (keyed by
    the literal arguments in photo_defects / procedural) to other ranges: the same number of draws is made (the
    stream stays aligned), only the value moves (u -> lo' + (u - lo) / (hi - lo) * (hi' - lo')). Every key must be
    used (check_used): when a renderer's constants change, this fails loudly instead of silently not resizing."""
    def __init__(self, rng, uniform=None, normal=None):
        self._rng = rng
        self._u = dict(uniform or {})
        self._n = dict(normal or {})
        self.used = set()

    @staticmethod
    def _find(table, a, b):
        for k in table:
            if abs(k[0] - a) < 1e-9 and abs(k[1] - b) < 1e-9:
                return k
        return None

    def uniform(self, low=0.0, high=1.0, size=None):
        v = self._rng.uniform(low, high, size)
        k = self._find(self._u, low, high)
        if k is None:
            return v
        self.used.add(("u",) + k)
        lo2, hi2 = self._u[k]
        return lo2 + (v - low) / (high - low) * (hi2 - lo2)

    def normal(self, loc=0.0, scale=1.0, size=None):
        v = self._rng.normal(loc, scale, size)
        k = self._find(self._n, loc, scale)
        if k is None:
            return v
        self.used.add(("n",) + k)
        return loc + (v - loc) * (self._n[k] / scale)

    def check_used(self, what):
        want = {("u",) + k for k in self._u} | {("n",) + k for k in self._n}
        if want - self.used:
            raise SystemExit("trimap_defects: %s no longer draws %s: photo_defects / procedural changed; update "
                             "trimap_defects._sizes" % (what, sorted(want - self.used)))

    def __getattr__(self, name):
        return getattr(self._rng, name)


def _patched(mod, name, fn):
    """Context manager: mod.name = fn inside (photo_defects' geometry helpers, for render_in_trimap)."""
    @contextlib.contextmanager
    def cm():
        if not hasattr(mod, name):
            raise SystemExit("render_in_trimap: photo_defects.%s is gone; update trimap_defects.render_in_trimap" % name)
        old = getattr(mod, name)
        setattr(mod, name, fn)
        try:
            yield
        finally:
            setattr(mod, name, old)
    return cm()


def _sizes(kind, fit):
    """{(lo, hi): (lo', hi')} uniform remaps and {(loc, scale): scale'} normal remaps that size defect `kind` to
    the region described by fit (user_region's dict). The keys are the literal ranges in photo_defects.py
    (procedural.d_color for colour spots)."""
    f = fit["scale"]
    if kind in STROKE:
        hw = fit["hw"] * f  # the width the defect may use
        if kind == "scratch":  # w0: full width of the groove
            return {(0.6, 2.0): (0.6, float(np.clip(1.6 * hw, 0.8, 2.0)))}, {}
        if kind == "crack":  # length (scales the branches) = the stroke's; full opening; branches closer to the main line
            w = float(np.clip(1.3 * hw, 1.0, 3.5))
            return {(40, 160): (fit["length"],) * 2, (1.4, 3.5): (min(1.4, 0.7 * w), w), (0.35, 1.1): (0.15, 0.45),
                    (0.15, 0.5): (0.1, 0.3)}, {}
        if kind == "cut":  # half-opening of the gap, width over which the edges are pushed apart
            g = float(np.clip(0.6 * hw, 0.6, 2.4))
            return {(0.7, 2.4): (min(0.7, 0.6 * g), g), (1.5, 4): (1.0, float(np.clip(hw, 1.5, 4.0)))}, {}
        if kind == "fold":  # half width W of the tilted flanks; height A = W * (0.3..0.6) * g
            # The flanks reach a little past the stroke's edge (their steep inner part fills it; the rest is clipped,
            # as the evaluation's wide folds are), and the height is not scaled down with the width: a thin fold
            # keeps a natural fold's height (g up to 2.5 = steeper flanks), else a 1-3 px stroke gave a faint
            # crease (10 levels in the region against 22.7 natural / 27.0 reference; now ~25, see MODEL.md).
            lo, hi = hw + 0.5, 1.3 * hw + 1.0
            g = float(np.clip(7.0 / (0.5 * (lo + hi)), 1.0, 2.5))
            return {(4, 10): (lo, hi), (0.3, 0.6): (0.3 * g, 0.6 * g)}, {}
    ra, e, th = fit["ra"] * f, fit["e"], fit["th"]
    if kind == "hole":  # radius, axis ratio, orientation, rim width (px)
        return {(5, 26): (max(2.5, 0.55 * ra), max(3.0, 0.78 * ra)), (0.65, 1.0): (e, e), (0, math.pi): (th, th),
                (1.5, 3.5): (1.0, float(np.clip(0.12 * ra, 1.0, 3.5)))}, {}
    if kind == "dent":
        return {(12, 40): (0.78 * ra, 0.9 * ra), (0.55, 1.0): (e, e), (0, math.pi): (th, th)}, {}
    if kind == "stain":
        return {(8, 35): (0.6 * ra, 0.78 * ra), (0.5, 1): (e, e), (0, math.pi): (th, th)}, {}
    if kind == "color":  # 1-3 paint dabs of radius rad around the centre (procedural.d_color)
        return {(3, 16): (0.35 * ra, 0.7 * ra)}, {(0, 10): 0.25 * ra}
    raise ValueError(kind)


def _jag_along(rng, path, amp):
    """A crack's main fissure along a stroke: straight pieces of 3-8 px whose vertices scatter across the stroke's
    centre line by at most amp px (densified, as photo_defects._jagged returns it)."""
    dense, s = PD._densify(np.asarray(path, float), 0.5)
    if s[-1] < 4 or amp <= 0:
        return dense, s
    tan = np.gradient(dense, axis=0)
    tan /= np.linalg.norm(tan, axis=1, keepdims=True) + 1e-9
    nrm = np.stack([-tan[:, 1], tan[:, 0]], 1)
    marks = [0.0]
    while marks[-1] < s[-1]:
        marks.append(marks[-1] + rng.uniform(3.0, 8.0))
    marks[-1] = s[-1]
    off = np.clip(rng.normal(0, 0.55 * amp, len(marks)), -amp, amp)
    off[0] = off[-1] = 0.0  # the fissure starts and ends on the stroke's line
    k = np.clip(np.searchsorted(s, marks), 0, len(s) - 1)
    return PD._densify(dense[k] + off[:, None] * nrm[k])


def render_in_trimap(rng, img, t, m, path, centre, fit=None):
    """Defect type t rendered by photo_defects.render_on_photo on img, laid along a trimap (strokes follow its
    polyline `path`, blobs are centred on `centre`) and clipped to its region m: what a perfect generation of that
    type inside that trimap could look like. Returns the defective image (== img outside m). The geometry is steered
    by patching photo_defects' curve helpers for one call: the first smooth curve (scratch, fold) or jagged main
    fissure (crack) is the trimap's polyline; a cut is one straight slit along each segment; blobs (hole, dent,
    stain, colour spot) get the centre. With fit (training, user_region's dict): sizes from the region (_sizes), the
    crack's fissure jagged across the stroke (_jag_along), a cut is one slit along the whole stroke."""
    kind = P.DEFECTS[t]
    geo = t in getattr(PD, "PHOTO_FNS", {})
    dense = PD._densify(path, 0.5) if path is not None else None
    if fit is not None and kind == "crack":
        dense = _jag_along(rng, path, fit["jag"])

    def sized(r, what):
        if fit is None:
            return r, None
        u, n = _sizes(kind, fit)
        rr = _Resized(r, u, n)
        return rr, rr

    if not geo:  # colour spot (stain before b0271a3): procedural.py's function on the albedo estimate, at the centre
        fn = P.DEFECT_FNS[t]
        rs = []

        def spot(r, A, H, G, L, ctr):
            rr, chk = sized(r, kind)
            rs.append(chk)
            return fn(rr, A, H, G, L, centre if path is None else tuple(path[0]))
        out = np.where(m[..., None], PD.render_on_photo(rng, img, spot)["defect"], img)
        if fit is not None:
            for chk in rs:
                chk.check_used(kind)
        return out
    orig = PD.PHOTO_FNS[t]

    def steered(r, ph, L, gloss, shin, ctr):
        r, chk = sized(r, kind)
        out = _steered(r, ph, L, gloss, shin)
        if chk is not None:
            chk.check_used(kind)
        return out

    def _steered(r, ph, L, gloss, shin):
        if path is None:
            return orig(r, ph, L, gloss, shin, centre)
        if kind == "cut":
            if fit is not None:  # one slit along the whole stroke (its lens-shaped opening over the stroke's length)
                real = PD._densify
                with _patched(PD, "_densify", lambda *_a, **_k: real(np.asarray(path, float), 0.4)):
                    return orig(r, ph, L, gloss, shin, tuple(path[0]))
            out, sup = ph, np.zeros(m.shape, bool)
            for a, b in zip(path[:-1], path[1:]):
                d = b - a
                ang = math.atan2(d[1], d[0])
                with _patched(PD, "_ang_off_light", lambda *_a, **_k: ang):
                    out, s = orig(_FirstUniforms(r, [float(np.hypot(*d))]), out, L, gloss, shin, tuple((a + b) / 2))
                sup |= s
            return out, sup
        calls = []
        helper = "_jagged" if kind == "crack" else "_smooth_curve"
        own = getattr(PD, helper)

        def first_is_path(*a, **k):  # the main curve is the trimap's polyline, the rest (crack branches) as drawn
            calls.append(1)
            return dense if len(calls) == 1 else own(*a, **k)
        with _patched(PD, helper, first_is_path):
            # scratch: shifted to start at ctr; crack: centred on ctr at its middle point
            c0 = dense[0][len(dense[0]) // 2] if kind == "crack" else dense[0][0]
            return orig(r, ph, L, gloss, shin, tuple(c0))

    PD.PHOTO_FNS[t] = steered
    try:
        s = PD.render_on_photo(rng, img, t)
    finally:
        PD.PHOTO_FNS[t] = orig
    return np.where(m[..., None], s["defect"], img)


# ------------------------------------------------------------------------------------ user-style painted regions
def _pick(rng, allowed):
    ys, xs = np.nonzero(allowed)
    k = rng.integers(0, len(ys))
    return np.array([float(xs[k]), float(ys[k])])


def _chaikin(pts, n=3):
    for _ in range(n):
        q = 0.75 * pts[:-1] + 0.25 * pts[1:]
        r = 0.25 * pts[:-1] + 0.75 * pts[1:]
        pts = np.concatenate([pts[:1], np.stack([q, r], 1).reshape(-1, 2), pts[-1:]])
    return pts


def _stroke(rng, obj):
    """A painted stroke: (region, steering path (vertices, x/y), info)."""
    yy, xx = P._yy, P._xx
    hw = rng.uniform(1.0, 3.0) if rng.random() < 0.5 else rng.uniform(1.0, 6.0)  # half-width, thin ones more often
    total = math.exp(rng.uniform(math.log(20), math.log(200)))
    nseg = int(rng.integers(1, 6))
    style = ["straight", "rounded", "freehand"][int(rng.choice(3, p=[0.35, 0.25, 0.4]))]
    margin = hw + 4
    inner = ndimage.binary_erosion(obj, iterations=int(margin)) if not obj.all() else obj.copy()
    inner[:int(margin)] = inner[-int(margin):] = False
    inner[:, :int(margin)] = inner[:, -int(margin):] = False
    for attempt in range(30 if inner.any() else 0):
        L = total * (0.75 ** (attempt // 6))
        seg = L * rng.dirichlet(np.full(nseg, 2.0))
        pts = [_pick(rng, inner)]
        ang = rng.uniform(0, 2 * math.pi)
        for ln in seg:
            pts.append(pts[-1] + ln * np.array([math.cos(ang), math.sin(ang)]))
            ang += rng.normal(0, 0.6)
        pts = np.array(pts)
        path = _chaikin(pts) if style == "rounded" else pts
        dense, s = PD._densify(path, 0.5)
        ix = np.round(dense).astype(int)
        if ((ix >= 0) & (ix < S)).all() and inner[ix[:, 1], ix[:, 0]].all():
            break
    else:  # nothing fits (a small object): a short stroke through the object's deepest point
        dt = ndimage.distance_transform_edt(obj)
        c = np.array(np.unravel_index(np.argmax(dt), dt.shape)[::-1], float)
        hw = float(min(hw, max(1.0, dt.max() / 3)))
        ang = rng.uniform(0, 2 * math.pi)
        d = np.array([math.cos(ang), math.sin(ang)]) * min(20.0, dt.max())
        path = np.array([c - d / 2, c + d / 2])
        dense, s = PD._densify(path, 0.5)
    painted, w = dense, np.full(len(dense), hw)
    if style == "freehand":  # the hand wobbles across the line and the width breathes a little; the defect follows the line
        tan = np.gradient(dense, axis=0)
        tan /= np.linalg.norm(tan, axis=1, keepdims=True) + 1e-9
        nrm = np.stack([-tan[:, 1], tan[:, 0]], 1)
        wob = ndimage.gaussian_filter1d(rng.standard_normal(len(dense)), rng.uniform(6, 20) / 0.5, mode="nearest")
        amp = rng.uniform(0.2, 0.55) * hw + 0.3
        painted = dense + (wob / (np.abs(wob).max() + 1e-9) * amp)[:, None] * nrm
        breathe = ndimage.gaussian_filter1d(rng.standard_normal(len(dense)), 30 / 0.5, mode="nearest")
        w = hw * (1 + 0.15 * breathe / (np.abs(breathe).max() + 1e-9))
    tree = cKDTree(painted)
    d, idx = tree.query(np.stack([xx.ravel(), yy.ravel()], 1), distance_upper_bound=float(w.max()) + 1)
    d = d.reshape(S, S)
    idx = np.minimum(idx.reshape(S, S), len(painted) - 1)
    region = (d <= w[idx]) & obj
    return region, path, dict(shape="stroke", style=style, hw=float(hw), length=float(s[-1]), nseg=nseg,
                              jag=float(max(0.0, 0.6 * (hw - 1.0))))


def _blob(rng, obj):
    """A painted blob: (region, centre (x, y), info with its principal radii / orientation)."""
    yy, xx = P._yy, P._xx
    r = rng.uniform(5, 35)
    e = rng.uniform(0.5, 1.0)
    th = rng.uniform(0, math.pi)
    style = ["ellipse", "irregular", "dabs"][int(rng.choice(3, p=[0.45, 0.35, 0.2]))]
    margin = int(r + 4)
    inner = ndimage.binary_erosion(obj, iterations=margin) if not obj.all() else obj.copy()
    inner[:margin] = inner[-margin:] = False
    inner[:, :margin] = inner[:, -margin:] = False
    if not inner.any():
        dt = ndimage.distance_transform_edt(obj)
        r = float(min(r, max(4.0, dt.max() - 3)))
        inner = dt >= min(dt.max(), r + 2)
    c = _pick(rng, inner)
    q = P._ellipse(c[0], c[1], r, r * e, th)
    if style == "irregular":
        ang = np.arctan2(yy - c[1], xx - c[0])
        wob = sum(rng.uniform(0, a) * np.sin(k * ang + rng.uniform(0, 6)) for k, a in ((2, 0.15), (3, 0.12), (5, 0.07)))
        region = q * (1 + wob) <= 1
    elif style == "dabs":  # a few overlapping round brush dabs
        region = q <= 0.75
        for _ in range(int(rng.integers(2, 6))):
            dc = c + rng.normal(0, 0.35 * r, 2)
            region |= np.hypot(xx - dc[0], yy - dc[1]) <= rng.uniform(0.35, 0.6) * r
    else:
        region = q <= 1
    region &= obj
    ys, xs = np.nonzero(region)
    cy, cx = ys.mean(), xs.mean()
    cov = np.cov(np.stack([xs - cx, ys - cy])) if len(xs) > 2 else np.eye(2)
    ev, vec = np.linalg.eigh(cov)
    ra, rb = 2 * math.sqrt(max(ev[1], 0.25)), 2 * math.sqrt(max(ev[0], 0.25))  # uniform ellipse: variance = radius^2 / 4
    if not region[int(round(cy)), int(round(cx))]:  # centroid outside (a crescent): the deepest point
        dt = ndimage.distance_transform_edt(region)
        cy, cx = np.unravel_index(np.argmax(dt), dt.shape)
    return region, (float(cx), float(cy)), dict(shape="blob", style=style, ra=float(ra), e=float(np.clip(rb / ra, 0.3, 1.0)),
                                               th=float(math.atan2(vec[1, 1], vec[0, 1])), r=float(r))


def user_region(rng, kind, obj=None):
    """(region bool [S,S], path or None, centre or None, fit dict) for defect `kind` (its STROKE / blob shape)."""
    obj = np.ones((S, S), bool) if obj is None else obj
    if kind in STROKE:
        m, path, info = _stroke(rng, obj)
        centre = None
    else:
        m, centre, info = _blob(rng, obj)
        path = None
    # now and then the region is painted generously: the defect uses only part of it
    info["scale"] = float(rng.uniform(0.45, 0.75)) if rng.random() < 0.2 else 1.0
    return m, path, centre, info


def trimap_sample(rng, img, t, obj=None, tries=4):
    """One training sample: dict(ok, defect, mask = the painted region, obj, dtype, changed = the pixels the defect
    changed, info). The defect changes >= max(12, 4% of the region) pixels (else a new region and render)."""
    obj = np.ones((S, S), bool) if obj is None else obj
    kind = P.DEFECTS[t]
    for k in range(tries):
        m, path, centre, info = user_region(rng, kind, obj)
        bad = render_in_trimap(rng, img, t, m, path, centre, fit=info)
        changed = (bad != img).any(-1)
        if changed.sum() >= max(12, 0.04 * m.sum()):
            break
    assert not (changed & ~m).any(), "a changed pixel outside the painted region"
    info["tries"] = k + 1
    return dict(ok=img, defect=bad, mask=m, obj=obj, dtype=t, changed=changed, info=info)


# -------------------------------------------------------------------------------------------------- self-check
def check(n=16, seed=3):
    """On procedural surfaces (no photo cache needed), every type n times: changed pixels only inside the painted
    region (also the object), region inside the object, strokes thin / blobs compact, deterministic, visible."""
    res = {}
    for i in range(n):
        srng = np.random.default_rng([seed, i])
        alb, h, gl, sh = P.SURFACES[i % len(P.SURFACES)](srng)
        img = (np.clip(P.render(np.clip(alb, 0, 1), h, gl, sh, np.array([0.5, 0.3, 0.81], np.float32),
                                np.ones((S, S), np.float32)), 0, 1) * 255 + 0.5).astype(np.uint8)
        obj = None if i % 3 else P._object_mask(np.random.default_rng([seed, i, 99]))
        for t in range(8):
            a = trimap_sample(np.random.default_rng([seed, i, t]), img, t, obj)
            b = trimap_sample(np.random.default_rng([seed, i, t]), img, t, obj)
            m, ch = a["mask"], a["changed"]
            r = res.setdefault(P.DEFECTS[t], dict(n=0, outside_zero=0, in_obj=0, deterministic=0, visible=0, shape_ok=0,
                                                  strength=[], cover=[]))
            r["n"] += 1
            r["outside_zero"] += int((a["defect"][~m] == img[~m]).all() and not (ch & ~m).any())
            r["in_obj"] += int(not (m & ~a["obj"]).any())
            r["deterministic"] += int((a["defect"] == b["defect"]).all() and (m == b["mask"]).all())
            r["visible"] += int(ch.sum() >= 12)
            edge = m & ~ndimage.binary_erosion(m)
            thick = 2 * m.sum() / max(1, edge.sum())
            r["shape_ok"] += int((thick <= 14) if P.DEFECTS[t] in STROKE else (thick >= 3))
            r["strength"].append(float(np.abs(a["defect"].astype(np.int16) - img)[m].mean()))
            r["cover"].append(float(ch.sum() / m.sum()))
    for r in res.values():
        r["strength"] = round(float(np.mean(r["strength"])), 1)
        r["cover"] = round(float(np.mean(r["cover"])), 2)
    return res


def grid(npz, out, per_type=4, tile=96, zoom=2, quality=88):
    """A JPEG of the first per_type samples of each type of a trimap cache: input | input with the painted region's
    outline (yellow) | defect, each a tile x tile window around the region, enlarged zoom x. Returns per-type
    strength (mean |defect - input| inside the region, 8-bit levels) over the whole cache."""
    from PIL import Image, ImageDraw
    z = np.load(npz)
    d = {k: z[k] for k in z.files}
    dts = d["dtype"]
    rows = []
    for t in range(8):
        row = []
        for i in np.nonzero(dts == t)[0][:per_type]:
            ok, bad, m = d["ok"][i], d["defect"][i], d["mask"][i]
            ys, xs = np.nonzero(m)
            cy = int(np.clip((ys.min() + ys.max()) // 2 - tile // 2, 0, S - tile))
            cx = int(np.clip((xs.min() + xs.max()) // 2 - tile // 2, 0, S - tile))
            sl = (slice(cy, cy + tile), slice(cx, cx + tile))
            edge = m & ~ndimage.binary_erosion(m)
            ol = np.where(edge[..., None], np.array([255, 230, 0], np.uint8), ok)
            row.append(np.concatenate([ok[sl], ol[sl], bad[sl], np.full((tile, 2, 3), 255, np.uint8)], 1))
        rows.append(np.concatenate(row, 1))
    im = np.concatenate(rows, 0)
    im = Image.fromarray(im).resize((im.shape[1] * zoom, im.shape[0] * zoom), Image.NEAREST)
    dr = ImageDraw.Draw(im)
    for t in range(8):
        dr.text((4, t * tile * zoom + 3), P.DEFECTS[t], fill=(255, 0, 255))
    im.save(out, quality=quality)
    return stats(d)


def stats(d):
    """Per type: samples, mean |defect - input| inside the painted region and inside the changed pixels (8-bit
    levels), changed share of the region, region pixels; asserts that no pixel outside the region changed."""
    st = {}
    for t in range(8):
        idx = np.nonzero(d["dtype"] == t)[0]
        a, b, c, r = [], [], [], []
        for i in idx:
            diff = np.abs(d["defect"][i].astype(np.int16) - d["ok"][i])
            m, ch = d["mask"][i], diff.max(-1) > 0
            assert not (ch & ~m).any(), "sample %d: changed pixels outside the painted region" % i
            a.append(diff[m].mean()); b.append(diff[ch].mean() if ch.any() else 0.0); c.append(ch.sum() / m.sum()); r.append(m.sum())
        st[P.DEFECTS[t]] = dict(n=int(len(idx)), in_region=round(float(np.mean(a)), 1), in_changed=round(float(np.mean(b)), 1),
                                changed_share=round(float(np.mean(c)), 2), region_px=int(np.mean(r)))
    return st


def eval_renders_sha(seed=5):
    """sha256 of the EVALUATION-mode renders (fit=None, evaluate_photos.trimap_geom's trimaps, all 8 types) on two
    procedural surfaces: pins the evaluation's reference renders (EVAL_PIN) so that a change here shows."""
    import hashlib, os, sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))
    import evaluate_photos as E
    h = hashlib.sha256()
    for i in range(2):
        alb, hh, gl, sh = P.SURFACES[(3 * i + 1) % len(P.SURFACES)](np.random.default_rng([seed, i]))
        img = (np.clip(P.render(np.clip(alb, 0, 1), hh, gl, sh, np.array([0.4, -0.3, 0.87], np.float32),
                                np.ones((S, S), np.float32)), 0, 1) * 255 + 0.5).astype(np.uint8)
        for t in range(8):
            rng = np.random.default_rng([seed, i, t])
            m, path, centre = E.trimap_geom(rng, P.DEFECTS[t])
            h.update(E.render_in_trimap(rng, img, t, m, path, centre).tobytes())
    return h.hexdigest()


EVAL_PIN = "2b7356881953b774ebfb1a4352421ba55695aa8bf532acb5c4ba3b48e7d7680d"  # = evaluate_photos.py before the move (main 72e047b)


def main():
    import argparse, json
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["check", "grid"])
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--npz", default=None, help="grid: the cache (default tools/data/cache/photo_trimap_train.npz)")
    ap.add_argument("--out", default="/tmp/trimap-grid.jpg")
    ap.add_argument("--per-type", type=int, default=4)
    ap.add_argument("--zoom", type=int, default=2)
    ap.add_argument("--quality", type=int, default=88)
    a = ap.parse_args()
    if a.cmd == "grid":
        import os
        npz = a.npz or os.path.join(os.path.dirname(os.path.abspath(__file__)), "cache", "photo_trimap_train.npz")
        print("wrote", a.out, "; strength in the painted region per type:", grid(npz, a.out, a.per_type, zoom=a.zoom, quality=a.quality))
        return
    res = check(a.n)
    print(json.dumps(res))
    pin = eval_renders_sha()
    if EVAL_PIN and pin != EVAL_PIN:
        raise SystemExit("trimap_defects check FAILED: the evaluation's render_in_trimap renders changed (%s)" % pin)
    print("evaluation renders sha256", pin)
    bad = [k for k, r in res.items() if not (r["outside_zero"] == r["in_obj"] == r["deterministic"] == r["visible"]
                                             == r["shape_ok"] == r["n"])]
    if bad:
        raise SystemExit("trimap_defects check FAILED for: " + ", ".join(bad))
    print("trimap_defects check ok")


if __name__ == "__main__":
    main()
