"""Fidelity over several draws of the same classifier (check_clf.py --train --seed N on the same data): the same
stored generations scored once per draw (evaluate_photos.py --rescore --clf DRAW --json-name ...), summarised.

  /usr/bin/python3 tools/train/clf_draws.py RUN/metrics-clf4.json RUN/metrics-clf4-seed1.json RUN/metrics-clf4-seed2.json \
      [--out RUN/metrics-clf4-draws.json]

One draw's fidelity moves by several points with the seed alone (session 7: 65-73% for one set of outputs), so a
figure of MODEL.md from session 7 on is the MEAN over the draws (clf-photo4 seeds 0, 1, 2), with min and max.
Reports, overall and per prompted type: each draw's fidelity, mean / min / max; per case, how many draws credit it
(cases credited by every draw, by none, by some). The files must score the same cases (same photo, case, kind).
"""
import argparse, json, os
import numpy as np


def summarise(paths):
    ms = [json.load(open(p)) for p in paths]
    keys = [[(c["photo"], c["case"], c["kind"]) for c in m["cases"]] for m in ms]
    if any(k != keys[0] for k in keys[1:]):
        raise SystemExit("clf_draws.py: the files do not score the same cases")
    correct = np.array([[bool(c["correct"]) for c in m["cases"]] for m in ms])  # draws x cases
    kinds = [k[2] for k in keys[0]]

    def stats(cols):
        f = correct[:, cols].mean(1) if len(cols) else np.zeros(len(ms))
        return {"cases": int(len(cols)), "per_draw": [round(float(x), 3) for x in f], "mean": round(float(f.mean()), 3),
                "min": round(float(f.min()), 3), "max": round(float(f.max()), 3),
                "credited_by_all": int(correct[:, cols].all(0).sum()), "credited_by_none": int((~correct[:, cols]).all(0).sum())}

    order = list(dict.fromkeys(kinds))
    res = {"draws": [{"file": p, "classifier": m.get("classifier")} for p, m in zip(paths, ms)],
           "overall": stats(list(range(len(kinds)))),
           "per_type": {k: stats([i for i, x in enumerate(kinds) if x == k]) for k in order}}
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    res = summarise(a.files)
    if a.out:
        json.dump(res, open(a.out, "w"), indent=1)
    o = res["overall"]
    print("fidelity over %d draws: mean %.1f%% (min %.1f, max %.1f; per draw %s); %d of %d cases credited by every draw, %d by none"
          % (len(a.files), 100 * o["mean"], 100 * o["min"], 100 * o["max"], " / ".join("%.1f" % (100 * x) for x in o["per_draw"]),
             o["credited_by_all"], o["cases"], o["credited_by_none"]))
    for k, s in res["per_type"].items():
        print("  %-8s (%2d) mean %5.1f%%  min %5.1f  max %5.1f  per draw %s" % (k, s["cases"], 100 * s["mean"], 100 * s["min"], 100 * s["max"],
                                                                        " / ".join("%d" % round(x * s["cases"]) for x in s["per_draw"])))
    print(json.dumps(res["overall"]))


if __name__ == "__main__":
    main()
