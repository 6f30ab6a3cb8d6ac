"""Per-type table of photo runs (evaluate_photos.py metrics.json), side by side: fidelity, off-floor fidelity,
colour, seam, strength per defect type, and per-type chroma excess |inside - ring| / seam medians for every type.

  python3 tools/train/tune_table.py tools/train/runs/photo-tune/g3 tools/train/runs/photo-tune/g7 ...
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


def main():
    runs = [(os.path.basename(p.rstrip("/")), json.load(open(os.path.join(p, "metrics.json")))) for p in sys.argv[1:]]
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
