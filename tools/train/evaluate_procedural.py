"""The procedural (v1) measures for any pack, generating with the app's own pipeline: the no-regression check of v2.

  /usr/bin/python3 tools/train/evaluate_procedural.py --pack public/models/ds-surface-v1 --name v1
  /usr/bin/python3 tools/train/evaluate_procedural.py --pack /tmp/ds-v2-pack --name v2
Writes tools/train/runs/proc-eval/<name>/ (inputs, trimaps, outputs, cases.tsv, metrics.json, grid.jpg).

evaluate.py measures v1 with its PyTorch sampler and v1's own training run; this script instead runs any
pack through tools/train/gen_cases.ts (the CLI's generator: pack defaults, 25 DDIM steps, guidance 7, decoder
adaptation on, context normalisation when the manifest sets it, paste-back), so v1 and v2 are compared on
the same cases by the same code:
- Cases: one held-out procedural sample (tools/data/cache/eval.npz, seed base 9000011) per family x defect
  type and seed index (evaluate.pick_eval), its normal image as the input, its mask as the defect (255),
  object pixels 127, backdrop 0. Prompts as evaluate.py: the preset for seed index 0, "a <surface> with
  <preset>" for 1. Seed 1000 * family + 10 * type + seed index.
- Fidelity: evaluate.Clf trained on procedural defects (tools/data/cache/clf.npz, seed base 5000017, plus
  the UNet's own procedural training set train.npz when present), cached in runs/clf-proc.pt; its accuracy
  on the held-out eval.npz defects is reported as its ceiling.
- MAD inside the defect (generated vs input), colour / seam (realism_metrics.measure), and a per-pixel
  check that the output equals the input outside the defect.
"""
import argparse, json, os, sys
import numpy as np
import torch
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "data"))
torch.set_num_threads(int(os.environ.get("DS_THREADS", "2")))
import procedural as P  # noqa: E402
import vocab as V  # noqa: E402
from train import load_split  # noqa: E402
from evaluate import Clf, pick_eval  # noqa: E402
from evaluate_photos import train_clf, predict, load_metrics, generate_cases  # noqa: E402

OUT_ROOT = os.path.join(HERE, "runs", "proc-eval")
CACHE = os.path.join(HERE, "..", "data", "cache")


def prepare(out, ev, seeds):
    for d in ("inputs", "trimaps", "outputs"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    groups = pick_eval(ev)
    cases = []
    for f in range(6):
        for d in range(8):
            for s in range(seeds):
                idxs = groups[(f, d)]
                i = idxs[s % len(idxs)]
                name = "%d-%d-%d" % (f, d, s)
                ip = os.path.join(out, "inputs", name + ".png")
                tp = os.path.join(out, "trimaps", name + ".png")
                Image.fromarray(ev["ok"][i]).save(ip)
                tri = np.where(ev["obj"][i], 127, 0).astype(np.uint8)
                tri[ev["mask"][i]] = 255
                Image.fromarray(tri).save(tp)
                prompt = V.PRESETS[d] if s % 2 == 0 else "a %s with %s" % (V.SURFACES[f][0], V.PRESETS[d])
                cases.append(dict(i=int(i), family=P.FAMILIES[f], f=f, d=d, kind=P.DEFECTS[d], s=s, prompt=prompt,
                                  seed=1000 * f + 10 * d + s, input=ip, trimap=tp,
                                  output=os.path.join(out, "outputs", name + ".png")))
    with open(os.path.join(out, "cases.tsv"), "w") as fh:
        for c in cases:
            fh.write("\t".join([c["input"], c["trimap"], c["output"], c["prompt"], str(c["seed"])]) + "\n")
    return cases


def load_proc_clf():
    path = os.path.join(HERE, "runs", "clf-proc.pt")
    net = Clf()
    if os.path.exists(path):
        net.load_state_dict(torch.load(path))
    else:
        data = [os.path.join(CACHE, n) for n in ("clf.npz", "train.npz") if os.path.exists(os.path.join(CACHE, n))]
        if not data:
            raise SystemExit("no classifier data: python3 tools/data/build_cache.py --split clf --n 1200")
        net = train_clf(path, data=data)
    net.eval()
    return net


def grid(out, cases, cs=96):
    rows = []
    for f in range(6):
        top, bot = [], []
        for d in range(8):
            c = next(c for c in cases if c["f"] == f and c["d"] == d and c["s"] == 0)
            inp = np.asarray(Image.open(c["input"]).convert("RGB")).astype(np.float32)
            m = np.asarray(Image.open(c["trimap"])) > 200
            inp[m] = inp[m] * 0.3 + np.array([255, 40, 40]) * 0.7
            top.append(np.asarray(Image.fromarray(inp.astype(np.uint8)).resize((cs, cs), Image.BILINEAR)))
            bot.append(np.asarray(Image.open(c["output"]).convert("RGB").resize((cs, cs), Image.BILINEAR)))
        rows += [np.concatenate(top, 1), np.concatenate(bot, 1), np.full((3, cs * 8, 3), 255, np.uint8)]
    im = Image.fromarray(np.concatenate(rows, 0))
    dr = ImageDraw.Draw(im)
    for d in range(8):
        dr.text((d * cs + 2, 2), P.DEFECTS[d], fill=(255, 255, 0))
    im.save(os.path.join(out, "grid.jpg"), quality=88)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pack", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--seeds", type=int, default=1, help="cases per family x type (2 = evaluate.py's 96)")
    ap.add_argument("--skip-gen", action="store_true")
    a = ap.parse_args()
    out = os.path.join(OUT_ROOT, a.name)
    ev = load_split("eval")
    cases = prepare(out, ev, a.seeds)
    gen_info = None
    if not a.skip_gen:
        gen_info = generate_cases(out, a.pack)
    elif os.path.exists(os.path.join(out, "generation.json")):
        gen_info = json.load(open(os.path.join(out, "generation.json")))
    RM = load_metrics()
    bad, ok, mask = [], [], []
    for c in cases:
        o = np.asarray(Image.open(c["output"]).convert("RGB"))
        x = np.asarray(Image.open(c["input"]).convert("RGB"))
        m = np.asarray(Image.open(c["trimap"])) > 200
        c["mad_inside"] = float(np.abs(o.astype(np.float32) - x)[m].mean())
        c["outside_identical"] = bool((o[~m] == x[~m]).all())
        c["chroma_excess"], c["seam_ratio"] = RM.measure(c["input"], c["trimap"], c["output"])
        bad.append(o); ok.append(x); mask.append(m)
    net = load_proc_clf()
    pr = predict(net, np.stack(bad), np.stack(ok), np.stack(mask))
    for c, p in zip(cases, pr):
        c["predicted"] = P.DEFECTS[int(p)]
        c["correct"] = c["predicted"] == c["kind"]
    ceiling = float((predict(net, ev["defect"], ev["ok"], ev["mask"]) == ev["dtype"]).mean())
    conf = np.zeros((8, 8), int)
    for c in cases:
        conf[c["d"], P.DEFECTS.index(c["predicted"])] += 1

    def summary(cs):
        keep = [abs(c["chroma_excess"]) for c in cs if c["kind"] in ("scratch", "dent", "fold")]
        return {"cases": len(cs), "fidelity": round(float(np.mean([c["correct"] for c in cs])), 3),
                "mad_inside": round(float(np.mean([c["mad_inside"] for c in cs])), 2),
                "chroma_abs_mean_scratch_dent_fold": round(float(np.mean(keep)), 2) if keep else None,
                "seam_ratio_median": round(float(np.median([c["seam_ratio"] for c in cs])), 3)}

    res = {"pack": a.pack, "generation": gen_info, "overall": summary(cases),
           "outside_defect_identical_cases": sum(c["outside_identical"] for c in cases),
           "per_family": {fam: summary([c for c in cases if c["family"] == fam]) for fam in P.FAMILIES},
           "per_type": {k: summary([c for c in cases if c["kind"] == k]) for k in P.DEFECTS},
           "confusion_rows_prompted_cols_predicted": {"labels": P.DEFECTS, "matrix": conf.tolist()},
           "classifier_accuracy_on_heldout_procedural": round(ceiling, 3),
           "cases": [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in c.items()
                      if k not in ("input", "trimap", "output")} for c in cases]}
    json.dump(res, open(os.path.join(out, "metrics.json"), "w"), indent=1)
    grid(out, cases)
    print(json.dumps({k: res[k] for k in ("overall", "outside_defect_identical_cases", "per_family", "per_type",
                                           "classifier_accuracy_on_heldout_procedural", "generation")}, indent=1))


if __name__ == "__main__":
    main()
