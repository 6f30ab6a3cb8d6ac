"""Per-type table of photo runs (evaluate_photos.py metrics.json), side by side: fidelity, off-floor fidelity,
colour, seam, strength per defect type, and per-type chroma excess |inside - ring| / seam medians for every type.

  python3 tools/train/tune_table.py tools/train/runs/photo-tune/g3 tools/train/runs/photo-tune/g7 ...
  /usr/bin/python3 tools/train/tune_table.py --render-ref tools/train/runs/photo-tune/g7   # the renders' strength per type
  /usr/bin/python3 tools/train/tune_table.py --pick runs/photo-tune/g7 runs/photo-tune/g3 runs/photo-tune/g5 ...  # the rule
"""
import json, os, sys
import numpy as np

TYPES = ["scratch", "crack", "hole", "stain", "dent", "cut", "color", "fold"]


def row(cases):
    if not cases:
        return None
    off = [c["correct"] for c in cases if c["predicted_if_nothing_drawn"] != c["kind"]]
    return {"n": len(cases), "fid": 100 * np.mean([c["correct"] for c in cases]),
            "off": 100 * np.mean(off) if off else float("nan"),
            "chroma": np.mean([abs(c["chroma_excess"]) for c in cases]),
            "seam": float(np.median([c["seam_ratio"] for c in cases])),
            "str": np.mean([c["mad_inside"] for c in cases])}


def render_reference(cases_json_dir):
    """Per type: mean |render - input| inside the trimap (8-bit levels) of each tuning case's own type RENDERED
    (trimap_defects.render_in_trimap) in its own trimap on its own training photo: the strength a defect of that
    type has when drawn by the renderer, the target the model's strength is read against."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import evaluate_photos as E
    from PIL import Image
    out = {}
    for c in json.load(open(os.path.join(cases_json_dir, "metrics.json")))["cases"]:
        j, k = c["photo"], c["kind"]
        rng = np.random.default_rng([E.TRAIN_SEED, j])
        m, path, centre = E.trimap_geom(rng, k)
        img = np.asarray(Image.open(os.path.join(cases_json_dir, "inputs", "%03d.png" % j)).convert("RGB"))
        bad = E.render_in_trimap(rng, img, E.P.DEFECTS.index(k), m, path, centre)
        out.setdefault(k, []).append(float(np.abs(bad.astype(np.int16) - img)[m].mean()))
    return {k: (len(v), float(np.mean(v))) for k, v in out.items()}


def pick(default_dir, dirs):
    """The sixth session's rule, per type: among the runs whose fidelity is at most one case below the default
    run's, over all cases and off the floor, the one whose strength is closest to the render strength; another run
    than the default only if it is more than 2 levels closer. Prints each type's candidates and the pick."""
    ref = render_reference(default_dir)
    runs = {os.path.basename(d.rstrip("/")): {(c["photo"], c["case"]): c for c in json.load(open(os.path.join(d, "metrics.json")))["cases"]}
            for d in [default_dir] + dirs}
    dname = os.path.basename(default_dir.rstrip("/"))
    for t in TYPES:
        base = [c for c in runs[dname].values() if c["kind"] == t]
        keys = [(c["photo"], c["case"]) for c in base]
        def stats(name):
            cs = [runs[name][k] for k in keys]
            return (sum(c["correct"] for c in cs), sum(c["correct"] for c in cs if c["predicted_if_nothing_drawn"] != t),
                    float(np.mean([c["mad_inside"] for c in cs])))
        b = stats(dname)
        cands = {n: stats(n) for n in runs if all(k in runs[n] for k in keys)}
        ok = {n: v for n, v in cands.items() if v[0] >= b[0] - 1 and v[1] >= b[1] - 1}
        best = min(ok, key=lambda n: abs(ok[n][2] - ref[t][1]))
        if abs(ok[best][2] - ref[t][1]) > abs(b[2] - ref[t][1]) - 2:
            best = dname
        print("%-8s render %.1f | %s | pick %s" % (t, ref[t][1], "  ".join(
            "%s %d/%d off %d str %.1f%s" % (n, v[0], len(keys), v[1], v[2], "" if n in ok else " (x)") for n, v in cands.items()), best))


def main():
    if sys.argv[1] == "--pick":
        pick(sys.argv[2], sys.argv[3:])
        return
    if sys.argv[1] == "--render-ref":
        for k, (n, v) in render_reference(sys.argv[2]).items():
            print("%-8s %3d cases  render strength %.1f" % (k, n, v))
        return
    runs = [(os.path.basename(p.rstrip("/")), json.load(open(os.path.join(p, "metrics.json")))) for p in sys.argv[1:]]
    # only the cases every run has (tuning sets grow by prefix; --types runs hold a subset)
    common = set.intersection(*[{(c["photo"], c["case"]) for c in m["cases"]} for _, m in runs])
    for _, m in runs:
        m["cases"] = [c for c in m["cases"] if (c["photo"], c["case"]) in common]
    print("%-8s %-10s %4s %6s %6s %6s %6s %6s" % ("type", "run", "n", "fid%", "off%", "|dC|", "seam", "str"))
    for t in TYPES + ["ALL"]:
        for name, m in runs:
            cs = m["cases"] if t == "ALL" else [c for c in m["cases"] if c["kind"] == t]
            r = row(cs)
            if r:
                print("%-8s %-10s %4d %6.1f %6.1f %6.2f %6.2f %6.1f" % (t, name, r["n"], r["fid"], r["off"], r["chroma"], r["seam"], r["str"]))
        print()


if __name__ == "__main__":
    main()
