"""Picks the evaluation inputs of the decoder-adaptation measurement from the procedural eval set.

    /usr/bin/python3 tools/adaptation/export_eval.py [--n 50] [--out bench/results/adaptation/inputs]

Takes one sample per (surface family, defect type) pair in order (6 x 8 = 48), then fills up to --n; writes
per sample NNN.rgb (256*256*3 uint8, the normal image x_ok), NNN.defect.rgb (the procedural defect image, used
by the --synthetic mode of generate-samples.ts), NNN.trimap (256*256 uint8 class ids: 0 background,
1 object, 2 defect) and index.json (family, defect type, prompt). The pipeline then *generates* the defect
(tools/adaptation/generate-samples.ts).
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'tools', 'train'))
sys.path.insert(0, os.path.join(ROOT, 'tools', 'data'))
import vocab as V  # noqa: E402

FAMILIES = ["metal", "fabric", "wood", "leather", "tile", "mesh"]
DEFECTS = ["scratch", "crack", "hole", "stain", "dent", "cut", "color", "fold"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--n', type=int, default=50)
    ap.add_argument('--eval', default=os.path.join(ROOT, 'tools', 'data', 'cache', 'eval.npz'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'bench', 'results', 'adaptation', 'inputs'))
    a = ap.parse_args()
    d = np.load(a.eval)
    ok, mask, obj, fam, dt = d['ok'], d['mask'], d['obj'], d['family'], d['dtype']
    dfx = d['defect']
    chosen, seen = [], set()
    for i in range(len(ok)):
        key = (int(fam[i]), int(dt[i]))
        if key in seen or mask[i].sum() < 16:
            continue
        seen.add(key)
        chosen.append(i)
    for i in range(len(ok)):
        if len(chosen) >= a.n:
            break
        if i not in chosen and mask[i].sum() >= 16:
            chosen.append(i)
    chosen = chosen[:a.n]
    os.makedirs(a.out, exist_ok=True)
    index = []
    for k, i in enumerate(chosen):
        f, t = int(fam[i]), int(dt[i])
        tri = np.where(mask[i], 2, np.where(obj[i], 1, 0)).astype(np.uint8)
        noun = V.DEFECT_NOUNS[t][0]
        surf = V.SURFACES[f][0]
        prompt = f"a {surf} with {'an' if noun[0] in 'aeiou' else 'a'} {noun}"
        name = f'{k:03d}'
        ok[i].astype(np.uint8).tofile(os.path.join(a.out, name + '.rgb'))
        dfx[i].astype(np.uint8).tofile(os.path.join(a.out, name + '.defect.rgb'))
        tri.tofile(os.path.join(a.out, name + '.trimap'))
        index.append({'name': name, 'evalIndex': int(i), 'family': FAMILIES[f], 'defect': DEFECTS[t], 'prompt': prompt,
                      'defectPixels': int(mask[i].sum()), 'width': int(ok.shape[2]), 'height': int(ok.shape[1])})
    json.dump(index, open(os.path.join(a.out, 'index.json'), 'w'), indent=1)
    print(f'{len(index)} inputs -> {a.out}')


if __name__ == '__main__':
    main()
