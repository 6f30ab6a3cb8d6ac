"""Index of real surface photographs shipped in Debian packages (game texture packs, GIMP patterns).

  /usr/bin/python3 tools/data/photos.py index [--root /]     # scan the installed packages -> cache/photos/index.json
                                                             # plus every photo downscaled to <= 512 px (cache/photos/*.png)
  /usr/bin/python3 tools/data/photos.py sheet --eval         # contact sheet of the evaluation photos (to look at)
  /usr/bin/python3 tools/data/photos.py neardup [--threshold 0.95]   # evaluation photos whose texture is a training photo

Packages (install with apt-get; licences in public/models/ds-surface-v1/MODEL.md):
  redeclipse-data nexuiz-textures ufoai-textures openarena-081-textures supertuxkart-data gimp-data
Only colour (diffuse) maps are kept: normal / specular / height / glow / mask maps, skyboxes, sprites,
fonts and UI images are dropped by name and by content (normal-map blue, too flat, too small, transparent).
A photo's material kind comes from words in its path (metal, wood, stone, ...), "other" if none.
The split is by SOURCE FILE group (directory + name without variant suffixes): the evaluation photos are
listed in tools/data/photo-eval.txt (committed) and no photo of their groups is ever used in training.
"""
import argparse, hashlib, io, json, os, re, sys, zipfile
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, "cache", "photos")
EVAL_LIST = os.path.join(HERE, "photo-eval.txt")
PKG_ROOT = "/"  # where the packages are installed (index --root)
GIMP_UNTILED_ENV = "DS_PHOTO_GIMP_UNTILED"  # "1": GIMP patterns as one tile, as the index of sessions 2-6 held them
TRAIN_LIST_ENV = "DS_PHOTO_TRAIN_LIST"  # a committed list of training photos (split()); unset: every non-evaluation photo

# package -> folders (relative to the root) holding its textures
SOURCES = {
    "redeclipse-data": ["usr/share/games/redeclipse/data"],
    "nexuiz-textures": ["usr/share/games/nexuiz/data"],
    "ufoai-textures": ["usr/share/games/ufoai/base"],
    "openarena-081-textures": ["usr/share/games/openarena/baseoa"],
    "supertuxkart-data": ["usr/share/games/supertuxkart/data/textures"],
    "gimp-data": ["usr/share/gimp/2.0/patterns"],
}
SKIP_DIRS = re.compile(r"/(actors|particles|crosshairs|fonts|skyboxes?|env|caustics|projectiles|sounds|blendbrush|maps|"
                       r"gfx|sprites|models|icons?|ui|gui|menu|hud|logos?|player|players|weapons?|effects|oafx|sfx|"
                       r"decals?|lights?|sky|trees?|plants?|flowers?|karts?|characters?)/", re.I)
SKIP_SUFFIX = re.compile(r"[_\-.](n|s|z|g|h|i|b|nm|n2|norm|normal|normals|mask|masks|local|gloss|glossy|spec|specular|"
                         r"bump|height|heightmap|glow|luma|add|auv|up|dn|rt|lf|ft|bk|ao|occ|disp|rough|alpha|"
                         r"shirt|pants|reflect|emission|emit)$", re.I)
SKIP_WORDS = re.compile(r"glow|light|lamp|sign|warn|logo|screen|window|button|numb|numlock|font|arrow|lava|water|"
                        r"sky|fire|flame|spawn|jump|telep|portal|_fx|sfx|_env|decal|icon|poster|graffiti|blood|"
                        r"skin|face|head|eye|hair|sprite|flag|banner|cloud|star|sun|moon|caustic|effect|particle|"
                        r"team|red_|blue_|_red|_blue|terrain_data|lightmap|shadow|glass|map_|levelshot", re.I)
EXTS = (".jpg", ".jpeg", ".png", ".tga")

MATERIALS = [  # (kind, path words); the first kind with a match wins
    ("leather", r"leather|hide"),
    ("fabric", r"fabric|cloth|carpet|rug|burlap|canvas|textile|curtain|sack|felt|cotton|weave|linen|denim|cushion|upholster"),
    ("ceramic", r"ceramic|porcelain|\btiles?\b|tile|tiled|mosaic|enamel"),
    ("plastic", r"plastic|rubber|vinyl|linoleum|\blino"),
    ("painted", r"paint|painted|enamel"),
    ("metal", r"metal|steel|iron|rust|alumin|chrome|girder|grate|grating|diamond|tread|copper|brass|bronze|tin\b|"
              r"plate|sheet|corrug|pipe|panel|hull|mtl|\bmet|rst"),
    ("wood", r"wood|plank|board|crate|bark|timber|oak|pine|parque|walnut|cork|\blog|beam|fence|wdn"),
    ("concrete", r"concrete|crete|cement|asphalt|plaster|stucco|tarmac"),
    ("stone", r"stone|rock|brick|cobble|marble|granite|slate|gravel|pebble|sand|cliff|boulder|paving|\bcrete"),
    ("paper", r"paper|cardboard|carton"),
    ("ground", r"grass|dirt|ground|mud|soil|leaves|earth|moss"),
]


def material_of(path):
    p = path.lower()
    for kind, rx in MATERIALS:
        if re.search(rx, p):
            return kind
    return "other"


def group_of(pkg, rel):
    """Source-file group: directory + name with variant suffixes removed (metal1a / metal1_b -> metal1)."""
    d, f = os.path.split(rel)
    stem = os.path.splitext(f)[0].lower()
    stem = re.sub(r"([_\-]?(diffuse|color|colour|col|diff|d|c|[a-d]|v?\d{1,2}[a-d]?|dark|light|old|new|var\d*))+$", "", stem)
    return pkg + ":" + d.lower() + "/" + stem


def read_gimp_pat(data):
    hs, ver, w, h, ch = (int.from_bytes(data[i:i + 4], "big") for i in range(0, 20, 4))
    px = np.frombuffer(data[hs:hs + w * h * ch], np.uint8).reshape(h, w, ch)
    if ch in (1, 2):
        px = np.repeat(px[..., :1], 3, -1)
    return Image.fromarray(np.ascontiguousarray(px[..., :3]))


def iter_files(root):
    """(pkg, rel, loader) for every candidate colour map."""
    for pkg, dirs in SOURCES.items():
        for d in dirs:
            base = os.path.join(root, d)
            if not os.path.isdir(base):
                continue
            for dp, _, fns in os.walk(base):
                stems = {os.path.splitext(f)[0].lower() for f in fns}
                for fn in sorted(fns):
                    st = os.path.splitext(fn)[0].lower()
                    if st[-1:] in ("n", "s", "z", "g", "h") and (st[:-1] in stems or st[:-1] + "d" in stems):
                        continue  # Sauerbraten-style map beside its colour map: metal01n / metal01s / metal01z
                    full = os.path.join(dp, fn)
                    rel = os.path.relpath(full, os.path.join(root, d))
                    low = fn.lower()
                    if low.endswith(".pat"):
                        yield pkg, rel, (lambda full=full: read_gimp_pat(open(full, "rb").read()))
                    elif low.endswith(".pk3"):
                        z = zipfile.ZipFile(full)
                        for zi in z.infolist():
                            n = zi.filename
                            if "textures/" in n and n.lower().endswith(EXTS):
                                yield pkg, rel + "!" + n, (lambda z=z, n=n: Image.open(io.BytesIO(z.read(n))))
                    elif low.endswith(EXTS):
                        yield pkg, rel, (lambda full=full: Image.open(full))


def keep_name(pkg, rel):
    r = "/" + rel.replace("!", "/")
    if SKIP_DIRS.search(r) and pkg != "gimp-data":
        return False
    stem = os.path.splitext(os.path.basename(r))[0]
    if SKIP_WORDS.search(r) and pkg != "gimp-data":
        return False
    return not SKIP_SUFFIX.search(stem)


def keep_content(im):
    """None if the image is not a usable photo, else an RGB uint8 array (<= 512 px on the long side)."""
    if min(im.size) < 128 or max(im.size) > 4 * min(im.size):
        return None
    if im.format == "JPEG":
        im.draft("RGB", (max(256, im.size[0] * 512 // max(im.size)), max(256, im.size[1] * 512 // max(im.size))))
    if im.mode in ("RGBA", "LA", "P"):
        a = np.asarray(im.convert("RGBA"))[..., 3]
        if (a < 250).mean() > 0.02:
            return None
    im = im.convert("RGB")
    s = 512 / max(im.size)
    if s < 1:
        im = im.resize((max(1, round(im.size[0] * s)), max(1, round(im.size[1] * s))), Image.BOX)
    x = np.asarray(im)
    f = x[::2, ::2].astype(np.float32)
    m = f.reshape(-1, 3).mean(0)
    if m[2] > 170 and abs(m[0] - 128) < 40 and abs(m[1] - 128) < 40:  # tangent-space normal map
        return None
    lum = f.mean(-1)
    if lum.std() < 4 or lum.mean() < 12 or lum.mean() > 245:
        return None
    # too few distinct values: flat-colour art, not a photograph
    q = (x[::4, ::4] // 8).reshape(-1, 3)
    if len(np.unique(q[:, 0] * 1024 + q[:, 1] * 32 + q[:, 2])) < 60:
        return None
    # high-frequency detail: photographs have grain
    hf = np.abs(np.diff(lum, axis=1)).mean()
    if hf < 0.7:
        return None
    return x


def _load_one(args):
    root, pkg, rel = args
    try:
        if "!" in rel:
            zp, n = rel.split("!", 1)
            d = [d for d in SOURCES[pkg] if os.path.exists(os.path.join(root, d, zp))][0]
            im = Image.open(io.BytesIO(zipfile.ZipFile(os.path.join(root, d, zp)).read(n)))
        elif rel.lower().endswith(".pat"):
            im = read_gimp_pat(open(os.path.join(root, SOURCES[pkg][0], rel), "rb").read())
            if min(im.size) < 40:
                return None
            # GIMP patterns are seamless tiles: repeat them to at least 320 px, as they are used
            t = np.asarray(im)
            ry, rx = -(-320 // t.shape[0]), -(-320 // t.shape[1])
            im = Image.fromarray(np.tile(t, (ry, rx, 1)))
        else:
            d = [d for d in SOURCES[pkg] if os.path.exists(os.path.join(root, d, rel))][0]
            im = Image.open(os.path.join(root, d, rel))
        x = keep_content(im)
    except Exception:
        return None
    if x is not None:
        h = hashlib.sha1(x[::4, ::4].tobytes()).hexdigest()[:16]
        p = os.path.join(CACHE, h + ".png")
        if not os.path.exists(p):
            Image.fromarray(x).save(p, compress_level=1)
    return x


def cmd_index(a):
    os.makedirs(CACHE, exist_ok=True)
    out, seen = [], set()
    n_all = 0
    from multiprocessing import Pool
    cands = []
    for pkg, rel, load in iter_files(a.root):
        n_all += 1
        if keep_name(pkg, rel):
            cands.append((pkg, rel))
    print(len(cands), "candidates of", n_all, "files", flush=True)
    with Pool(a.procs) as pool:
        res = pool.imap(_load_one, [(a.root, pkg, rel) for pkg, rel in cands], chunksize=8)
        for (pkg, rel), x in zip(cands, res):
            if x is None:
                continue
            h = hashlib.sha1(x[::4, ::4].tobytes()).hexdigest()[:16]
            if h in seen:  # exact duplicates across packages
                continue
            seen.add(h)
            out.append(dict(id=h, pkg=pkg, rel=rel, material=material_of(pkg + "/" + rel), group=group_of(pkg, rel),
                            w=int(x.shape[1]), h=int(x.shape[0])))
            if len(out) % 200 == 0:
                print(len(out), "photos kept", flush=True)
    json.dump(out, open(os.path.join(CACHE, "index.json"), "w"), indent=0)
    from collections import Counter
    print("kept %d of %d files" % (len(out), n_all))
    print(Counter(r["pkg"] for r in out))
    print(Counter(r["material"] for r in out))


def load_index():
    return json.load(open(os.path.join(CACHE, "index.json")))


def read_eval_list(path=None):
    """[(pkg, rel, material)] from the committed evaluation list (or another list of the same format)."""
    rows = []
    for line in open(path or EVAL_LIST):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        pkg, rel, mat = line.split("\t")
        rows.append((pkg, rel, mat))
    return rows


def train_list_path(train_list=None):
    """The training-photo list in force: the argument, else $DS_PHOTO_TRAIN_LIST, else None (the whole index).
    A relative path is taken from the current folder, else from the repository root."""
    p = train_list or os.environ.get(TRAIN_LIST_ENV) or None
    if p and not os.path.isabs(p) and not os.path.exists(p):
        p = os.path.join(HERE, "..", "..", p)
    if p and not os.path.exists(p):
        raise SystemExit("photos.py: training list %s not found" % p)
    return p


def record_of_file(pkg, rel, material, root=None):
    """The index record of one package file (its photo cached as by `index`), for a listed photo that the index holds
    under another name (an exact duplicate found first in another package)."""
    x = _load_one((root or PKG_ROOT, pkg, rel))
    if x is None:
        raise SystemExit("photos.py: listed training photo %s %s is not a usable photo on this machine" % (pkg, rel))
    h = hashlib.sha1(x[::4, ::4].tobytes()).hexdigest()[:16]
    return dict(id=h, pkg=pkg, rel=rel, material=material, group=group_of(pkg, rel), w=int(x.shape[1]), h=int(x.shape[0]))


def untiled_gimp_record(r):
    """A GIMP pattern's record with its photo as ONE tile (not repeated to >= 320 px): the form the index of sessions
    2-6 held (evaluation photo crinklepaper.pat: VAE 40.45 dB untiled = MODEL.md's 40.5, 33.34 tiled; 4 training
    photos of photo-train-v2a.txt). The photo is cached under its own id like any other."""
    im = read_gimp_pat(open(os.path.join(PKG_ROOT, SOURCES["gimp-data"][0], r["rel"]), "rb").read())
    x = keep_content(im)
    if x is None:
        raise SystemExit("photos.py: GIMP pattern %s is not a usable photo untiled" % r["rel"])
    h = hashlib.sha1(x[::4, ::4].tobytes()).hexdigest()[:16]
    p = os.path.join(CACHE, h + ".png")
    if not os.path.exists(p):
        Image.fromarray(x).save(p, compress_level=1)
    return dict(r, id=h, w=int(x.shape[1]), h=int(x.shape[0]))


def split(train_list=None):
    """(train records, eval records): eval = the committed list; train excludes every group of an eval photo.
    With a training list (train_list or $DS_PHOTO_TRAIN_LIST, e.g. tools/data/photo-train-v2a.txt) the training
    records are exactly the listed photos, in the list's order, with the list's material: the training split of the
    index that sessions 2-6 used (547 photos) on a machine whose index holds more (pk3 archives, all GIMP patterns).
    Every tool that draws training photos (build_photo_cache.py, check_clf.py, --case-set train) draws by position
    in this list, so the list and its order are part of a data set's recipe.
    $DS_PHOTO_GIMP_UNTILED=1: GIMP patterns (training and evaluation) as one untiled tile, as that index held them
    (`index` repeats them to >= 320 px since); unset: as the index holds them."""
    idx = load_index()
    by_key = {(r["pkg"], r["rel"]): r for r in idx}
    ev = []
    for pkg, rel, mat in read_eval_list():
        r = dict(by_key[(pkg, rel)])
        r["material"] = mat
        ev.append(r)
    groups = {r["group"] for r in ev}
    ids = {r["id"] for r in ev}
    lp = train_list_path(train_list)
    if lp is None:
        tr = [r for r in idx if r["group"] not in groups and r["id"] not in ids]
    else:
        tr = []
        for pkg, rel, mat in read_eval_list(lp):
            r = dict(by_key[(pkg, rel)]) if (pkg, rel) in by_key else record_of_file(pkg, rel, mat)
            r["material"] = mat
            if r["group"] in groups or r["id"] in ids:
                raise SystemExit("photos.py: listed training photo %s %s belongs to an evaluation group" % (pkg, rel))
            tr.append(r)
    if os.environ.get(GIMP_UNTILED_ENV) == "1":  # sessions 2-6's GIMP photos: one tile each
        tr = [untiled_gimp_record(r) if r["pkg"] == "gimp-data" else r for r in tr]
        ev = [untiled_gimp_record(r) if r["pkg"] == "gimp-data" else r for r in ev]
    return tr, ev


def load_photo(rec):
    return np.asarray(Image.open(os.path.join(CACHE, rec["id"] + ".png")).convert("RGB"))


def random_crop(rng, x, size=256):
    """A random square crop at a random scale (the short side resized to size .. 2 x size), as uint8 size^2."""
    h, w = x.shape[:2]
    target = rng.uniform(size, max(size, min(2 * size, min(h, w) * 1.0)) + 1e-3)
    s = target / min(h, w)
    im = Image.fromarray(x)
    nw, nh = max(size, round(w * s)), max(size, round(h * s))
    im = im.resize((nw, nh), Image.BILINEAR if s > 1 else Image.LANCZOS)
    oy, ox = rng.integers(0, nh - size + 1), rng.integers(0, nw - size + 1)
    c = np.asarray(im)[oy:oy + size, ox:ox + size]
    k = rng.integers(0, 4)
    c = np.rot90(c, k)
    if rng.random() < 0.5:
        c = c[:, ::-1]
    return np.ascontiguousarray(c)


def eval_crop(x, size=256):
    """The evaluation view of a photo: centre square, short side resized to size."""
    h, w = x.shape[:2]
    m = min(h, w)
    c = x[(h - m) // 2:(h - m) // 2 + m, (w - m) // 2:(w - m) // 2 + m]
    return np.asarray(Image.fromarray(c).resize((size, size), Image.LANCZOS if m > size else Image.BILINEAR))


def thumb_feature(x, size=32):
    """A photo's grey size x size thumbnail (whole photo, BOX), zero-mean and unit-norm: the near-duplicate feature."""
    g = np.asarray(Image.fromarray(x).resize((size, size), Image.BOX), np.float32).mean(-1)
    g = g - g.mean()
    return g / (np.linalg.norm(g) + 1e-6)


def near_duplicates(tr, ev, size=32):
    """For each evaluation record, its most similar training record: [(cosine, eval index, train index)], best first.
    Cosine of the zero-mean grey thumbnails, the best of the evaluation thumbnail's 8 rotations / flips; so a
    recoloured, rotated or re-encoded copy of a texture (another game's archive, another format) scores near 1."""
    G = np.stack([thumb_feature(load_photo(r), size).ravel() for r in tr])
    out = []
    for i, r in enumerate(ev):
        g = thumb_feature(load_photo(r), size)
        best = np.full(len(tr), -1.0, np.float32)
        for k in range(4):
            for fl in (False, True):
                h = np.rot90(g, k)
                best = np.maximum(best, G @ (h[:, ::-1] if fl else h).ravel())
        j = int(best.argmax())
        out.append((float(best[j]), i, j))
    return sorted(out, reverse=True)


def cmd_neardup(a):
    """Evaluation photos whose texture is among the training photos (the split in force: $DS_PHOTO_TRAIN_LIST)."""
    tr, ev = split()
    res = near_duplicates(tr, ev)
    for sc, i, j in res:
        if sc < a.threshold:
            break
        print("%.3f eval %2d %-9s %s:%s  ~  train %s:%s" % (sc, i, ev[i]["material"], ev[i]["pkg"], ev[i]["rel"], tr[j]["pkg"], tr[j]["rel"]))
    print("%d of %d evaluation photos have a training photo at cosine >= %.2f (%d training photos)"
          % (sum(sc >= a.threshold for sc, _, _ in res), len(ev), a.threshold, len(tr)))


def cmd_select_eval(a):
    """Seeded first draft of the evaluation list: up to --per photos of each kind, one per source group, each
    source group never split. The committed list (photo-eval.txt) is this draft after a look at its sheet."""
    idx = load_index()
    rng = np.random.default_rng(a.seed)
    kinds = sorted({r["material"] for r in idx})
    rows = []
    for k in kinds:
        recs = [r for r in idx if r["material"] == k]
        order = rng.permutation(len(recs))
        used = set()
        for j in order:
            r = recs[j]
            if r["group"] in used:
                continue
            used.add(r["group"])
            rows.append((r["pkg"], r["rel"], k))
            if len([x for x in rows if x[2] == k]) >= a.per:
                break
    with open(a.out, "w") as f:
        for row in rows:
            f.write("\t".join(row) + "\n")
    print("wrote", a.out, len(rows))


def cmd_sheet(a):
    tr, ev = split() if a.eval else (load_index(), [])
    recs = ev if a.eval else [r for r in tr if a.material in (None, r["material"])][:a.n]
    cs = 128
    cols = 10
    rows = (len(recs) + cols - 1) // cols
    sheet = np.full((rows * (cs + 14), cols * cs, 3), 255, np.uint8)
    from PIL import ImageDraw
    im = Image.fromarray(sheet)
    dr = ImageDraw.Draw(im)
    for i, r in enumerate(recs):
        c = eval_crop(load_photo(r), cs)
        y, x = (i // cols) * (cs + 14), (i % cols) * cs
        im.paste(Image.fromarray(c), (x, y))
        dr.text((x + 2, y + cs), "%d %s" % (i, r["material"][:8]), fill=(0, 0, 0))
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    im.save(a.out)
    print("wrote", a.out, len(recs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["index", "sheet", "select-eval", "neardup"])
    ap.add_argument("--threshold", type=float, default=0.95, help="neardup: the cosine reported from")
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--per", type=int, default=8)
    ap.add_argument("--root", default="/")
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--eval", action="store_true")
    ap.add_argument("--material", default=None)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--out", default=os.path.join(HERE, "cache", "sheet.png"))
    a = ap.parse_args()
    {"index": cmd_index, "sheet": cmd_sheet, "select-eval": cmd_select_eval, "neardup": cmd_neardup}[a.cmd](a)


if __name__ == "__main__":
    main()
