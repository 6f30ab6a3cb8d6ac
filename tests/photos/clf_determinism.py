"""Trains evaluate_photos.fit_clf (the fidelity classifiers' trainer) on a tiny random set, as train_clf does (torch
seed 0), and prints the sha256 of the saved weights' tensors: the same in every process (tests/clf-determinism.test.ts).
Run from the repository root: DS_THREADS=1 /usr/bin/python3 tests/photos/clf_determinism.py OUT.pt [SEED]"""
import hashlib, os, sys
import numpy as np
import torch
sys.path.insert(0, "tools/train")
import evaluate_photos as E  # noqa: E402
from evaluate import Clf  # noqa: E402

g = np.random.default_rng(1)
X = torch.from_numpy(g.uniform(-1, 1, (96, 7, 64, 64)).astype(np.float32))
Y = torch.from_numpy(g.integers(0, 9, 96))
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
torch.manual_seed(seed)
E.fit_clf(Clf(n_types=9), X, Y, 2, sys.argv[1], seed)
sd = torch.load(sys.argv[1])
h = hashlib.sha256(b"".join(sd[k].numpy().tobytes() for k in sorted(sd))).hexdigest()
print(h)
