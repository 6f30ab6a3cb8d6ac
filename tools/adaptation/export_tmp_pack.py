"""Exports the built-in model's *current* checkpoints (tools/train/runs/vae.pt, unet.pt) as a throw-away pack
for the adaptation measurement, without touching public/models or tools/train/runs: runs
tools/train/export.py's main() with its ROOT and RUNS pointed at a scratch folder.

    /usr/bin/python3 tools/adaptation/export_tmp_pack.py [--id ds-ckpt]
    -> bench/results/adaptation/packs/public/models/<id>/
"""
import argparse
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(ROOT, 'tools', 'train'))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--id', default='ds-ckpt')
    a = ap.parse_args()
    scratch = os.path.join(ROOT, 'bench', 'results', 'adaptation', 'packs')
    runs = os.path.join(scratch, 'runs')
    os.makedirs(runs, exist_ok=True)
    for f in ('vae.pt', 'unet.pt'):
        shutil.copyfile(os.path.join(ROOT, 'tools', 'train', 'runs', f), os.path.join(runs, f))
    import export  # noqa: E402  (tools/train/export.py)
    export.ROOT = scratch
    export.RUNS = runs
    sys.argv = ['export.py', '--id', a.id]
    export.main()
    print('pack ->', os.path.join(scratch, 'public', 'models', a.id))


if __name__ == '__main__':
    main()
