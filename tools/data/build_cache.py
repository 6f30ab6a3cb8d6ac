"""Generate the procedural dataset into tools/data/cache/ (ignored): <split>.npz with uint8 images and masks.

python3 tools/data/build_cache.py --split train --n 4000 --procs 2
python3 tools/data/build_cache.py --split eval --n 400
Train and eval use different seed bases (procedural.TRAIN_SEED / EVAL_SEED); sample i of a split is
always the same image.
"""
import argparse, os, sys, time
import numpy as np
from multiprocessing import Pool
sys.path.insert(0, os.path.dirname(__file__))
import procedural as P


def one(args):
    split, i = args
    s = P.sample(P.rng_for(split, i))
    return s["ok"], s["defect"], s["mask"], s["obj"], s["family"], s["dtype"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="train")
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "cache"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()
    with Pool(a.procs) as pool:
        res = pool.map(one, [(a.split, i) for i in range(a.n)], chunksize=16)
    ok, bad, m, o, f, d = zip(*res)
    np.savez(os.path.join(a.out, a.split + ".npz"), ok=np.stack(ok), defect=np.stack(bad), mask=np.stack(m),
             obj=np.stack(o), family=np.array(f, np.int8), dtype=np.array(d, np.int8))
    print("%s: %d samples in %.1fs" % (a.split, a.n, time.time() - t0))


if __name__ == "__main__":
    main()
