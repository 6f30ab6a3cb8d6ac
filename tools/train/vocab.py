"""Word-level tokenizer and training prompts of the built-in model.

Rule (also written into tokenizer/tokenizer.json and MODEL.md): lower-case the text; split it on every run of
characters outside a-z (regex [^a-z]+); drop empty pieces; map each word to its id, unknown words to <unk>;
ids = [<bos>] + first 75 word ids + [<eos>], then pad with <pad> to 77. The empty prompt is [<bos>, <eos>, <pad>...].
"""
import re

PAD, UNK, BOS, EOS = 0, 1, 2, 3
MAXLEN = 77

DEFECT_NOUNS = [
    ["scratch", "scratches", "scuff", "scrape", "abrasion", "scratch mark"],
    ["crack", "cracks", "fracture", "fissure", "split"],
    ["hole", "holes", "puncture", "perforation", "pinhole", "pit", "void"],
    ["stain", "stains", "contamination", "dirt", "smudge", "oil stain", "grease", "blotch"],
    ["dent", "dents", "poke", "dimple", "depression", "ding"],
    ["cut", "cuts", "slit", "slash", "gash", "incision"],
    ["color spot", "colour spot", "color", "spot", "spots", "paint spot", "ink spot", "discoloration", "colored dot", "speck of paint"],
    ["fold", "folds", "wrinkle", "wrinkles", "crease", "ridge"],
]
DEFECT_ADJ = [
    ["scratched", "scuffed", "scraped"],
    ["cracked", "fractured"],
    ["punctured", "perforated", "holed"],
    ["stained", "contaminated", "dirty", "smudged"],
    ["dented", "poked"],
    ["cut", "slit", "slashed"],
    ["discolored", "discoloured", "spotted", "painted"],
    ["folded", "wrinkled", "creased"],
]
SURFACES = [
    ["metal", "steel", "aluminum", "aluminium", "brushed metal", "machined metal", "metal sheet", "metal plate", "iron"],
    ["fabric", "cloth", "textile", "woven fabric", "carpet", "rug", "felt", "cotton"],
    ["wood", "wooden board", "timber", "plank", "oak", "wood grain"],
    ["leather", "hide", "grained leather", "skin"],
    ["tile", "tiles", "ceramic tile", "porcelain", "tiled floor", "ceramic"],
    ["mesh", "wire mesh", "grid", "wire grid", "screen", "net", "grille"],
    # v2 (real photos): families 6..10
    ["stone", "concrete", "brick", "brick wall", "rock", "marble", "granite", "cement", "plaster", "wall", "stone wall",
     "floor", "pavement", "asphalt"],
    ["plastic", "plastic part", "rubber", "housing", "plastic casing", "molded plastic", "vinyl", "plastic cover"],
    ["painted metal", "paint", "painted surface", "coated metal", "car body", "lacquer", "painted panel", "tank"],
    ["paper", "cardboard", "carton", "paper sheet", "box"],
    ["surface", "material", "part", "object", "product", "ground", "component"],
]
# photo material kind (tools/data/photos.py) -> family index above
PHOTO_FAMILY = {"metal": 0, "fabric": 1, "wood": 2, "leather": 3, "ceramic": 4, "stone": 6, "concrete": 6, "plastic": 7,
                "painted": 8, "paper": 9, "ground": 10, "other": 10}
EXTRA = ("a an the with on of and in is has surface texture sample image photo picture defect defective damaged "
         "damage anomaly small large big long short thin thick wide narrow deep shallow dark light bright tiny huge "
         "red green blue yellow brown black white gray grey purple orange pink round straight curved "
         "rough smooth polished worn old new mark marks area region product part piece close up some "
         "rust rusty rusted corroded corrosion bracket shiny glossy matte coated coating cup bottle casting plate "
         "sheet panel cover door frame pipe tube bar rod bolt screw nut gear wheel handle lid case body real "
         "photograph")

_words = set(EXTRA.split())
for group in DEFECT_NOUNS + DEFECT_ADJ + SURFACES:
    for p in group:
        _words.update(p.split())
VOCAB = ["<pad>", "<unk>", "<bos>", "<eos>"] + sorted(_words)
WORD2ID = {w: i for i, w in enumerate(VOCAB)}

SIZES = ["small", "large", "long", "short", "thin", "deep", "tiny", "big", "dark", "light"]


def words(text):
    return [w for w in re.split(r"[^a-z]+", text.lower()) if w]


def encode(text):
    ids = [BOS] + [WORD2ID.get(w, UNK) for w in words(text)][:MAXLEN - 2] + [EOS]
    return ids + [PAD] * (MAXLEN - len(ids))


def random_prompt(rng, dtype, family):
    n = DEFECT_NOUNS[dtype][rng.integers(0, len(DEFECT_NOUNS[dtype]))]
    adj = DEFECT_ADJ[dtype][rng.integers(0, len(DEFECT_ADJ[dtype]))]
    s = SURFACES[family][rng.integers(0, len(SURFACES[family]))]
    sz = SIZES[rng.integers(0, len(SIZES))]
    art = "an" if n[0] in "aeiou" else "a"
    t = [f"a {n}", f"a {n}", f"{n}", f"a {s} with a {n}", f"a {s} surface with a {n}", f"{adj} {s}",
         f"a {adj} {s} surface", f"a {n} on {s}", f"a {sz} {n}", f"{s} with {n}", f"{art} {n} defect",
         f"a {s} with a {sz} {n}", f"{adj} surface"][rng.integers(0, 13)]
    if t.startswith("a ") and t[2] in "aeiou":
        t = "an " + t[2:]
    return t


PRESETS = ["a scratch", "a crack", "a hole", "a stain", "a dent", "a cut", "a color spot", "a fold"]
