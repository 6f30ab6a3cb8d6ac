"""photos.split() with and without a training list, on a tiny synthetic package tree (tests/photo-split.test.ts).
Run from the repository root: /usr/bin/python3 tests/photos/split_check.py -> one JSON line last."""
import json, os, sys, tempfile
import numpy as np
from PIL import Image
sys.path.insert(0, "tools/data")
import photos as PH

t = tempfile.mkdtemp()
root = os.path.join(t, "root")
PH.SOURCES = {"pkga": ["a"], "pkgb": ["b"], "gimp-data": ["g"]}
PH.CACHE = os.path.join(t, "cache", "photos")
PH.PKG_ROOT = root
rng = np.random.default_rng(0)
def save(rel, x):
    p = os.path.join(root, rel); os.makedirs(os.path.dirname(p), exist_ok=True); Image.fromarray(x).save(p)
ims = {n: rng.integers(0, 256, (160, 160, 3), dtype=np.uint8) for n in ("evalstone", "brick", "wood", "metal", "evalstoneb")}
for n in ims:
    save("a/" + n + ".png", ims[n])
save("b/crate.png", ims["wood"])  # an exact duplicate in a later package: dropped by the index
# the evaluation photo's texture again in another package: recoloured, rotated (a near-duplicate, not an exact one)
save("b/copyrot.png", np.rot90(np.clip(ims["evalstone"] * 0.6 + 20, 0, 255).astype(np.uint8)).copy())
# a GIMP pattern (.pat: header size, version, width, height, channels, magic; then the pixels), 128 px: the index
# repeats it to >= 320 px (384), DS_PHOTO_GIMP_UNTILED=1 gives back the single tile
pat = rng.integers(0, 256, (128, 128, 3), dtype=np.uint8)
os.makedirs(os.path.join(root, "g", "Paper"), exist_ok=True)
open(os.path.join(root, "g", "Paper", "crinkle.pat"), "wb").write(
    b"".join(int(v).to_bytes(4, "big") for v in (24, 1, 128, 128, 3)) + b"GPAT" + pat.tobytes())
class A: pass
a = A(); a.root = root; a.procs = 1
PH.cmd_index(a)
PH.EVAL_LIST = os.path.join(t, "eval.txt")
open(PH.EVAL_LIST, "w").write("# eval\npkga\tevalstone.png\tstone\n")
out = {}
tr, ev = PH.split()
out["all"] = [r["rel"] for r in tr]
out["eval"] = [r["rel"] for r in ev]
lst = os.path.join(t, "train.txt")
open(lst, "w").write("# list\npkga\tmetal.png\tmetal\npkgb\tcrate.png\twood\npkga\tbrick.png\tstone\n")
tr, _ = PH.split(lst)
out["listed"] = [(r["pkg"], r["rel"], r["material"]) for r in tr]
ids = {r["rel"]: r["id"] for r in PH.load_index()}
out["dup_id_is_wood"] = tr[1]["id"] == ids["wood.png"]
out["dup_pixels_equal"] = bool((PH.load_photo(tr[1]) == ims["wood"]).all())
os.environ[PH.TRAIN_LIST_ENV] = lst
out["env"] = [r["rel"] for r in PH.split()[0]]
del os.environ[PH.TRAIN_LIST_ENV]
open(lst, "a").write("pkga\tevalstoneb.png\tstone\n")  # same source group as the evaluation photo
try:
    PH.split(lst); out["eval_group_refused"] = False
except SystemExit as e:
    out["eval_group_refused"] = "evaluation group" in str(e)
os.environ.pop(PH.TRAIN_LIST_ENV, None)
tr, ev = PH.split()
g = [r for r in tr if r["pkg"] == "gimp-data"][0]
out["gimp_tiled"] = [g["w"], g["h"], bool((PH.load_photo(g)[:128, :128] == pat).all())]
os.environ[PH.GIMP_UNTILED_ENV] = "1"
g = [r for r in PH.split()[0] if r["pkg"] == "gimp-data"][0]
out["gimp_untiled"] = [g["w"], g["h"], bool((PH.load_photo(g) == pat).all())]
del os.environ[PH.GIMP_UNTILED_ENV]
tr = [r for r in tr if r["pkg"] != "gimp-data"]
nd = PH.near_duplicates(tr, ev)
out["neardup_best"] = [round(nd[0][0], 3), ev[nd[0][1]]["rel"], tr[nd[0][2]]["rel"]]
rest = [r for r in tr if r["rel"] != "copyrot.png"]
out["neardup_unrelated"] = round(PH.near_duplicates(rest, ev)[0][0], 3)
print(json.dumps(out))
