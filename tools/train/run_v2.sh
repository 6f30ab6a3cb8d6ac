#!/bin/sh
# Background training of ds-surface v2 (issue 9): builds what is missing, then trains the UNet until killed.
#   nohup nice -n 5 sh tools/train/run_v2.sh > tools/train/runs/v2-run.log 2>&1 &
# Resumes from tools/train/runs/v2/unet.pt, else tools/train/checkpoints/ds-surface-v2-ema.pt, else the v1 pack.
set -e
cd "$(dirname "$0")/../.."
P=/usr/bin/python3
export DS_THREADS=${DS_THREADS:-2}
[ -f tools/data/cache/photos/index.json ] || $P tools/data/photos.py index
[ -f tools/data/cache/photo_train.npz ] || $P tools/data/build_photo_cache.py --split train --n ${PHOTO_N:-2500}
[ -f tools/data/cache/train.npz ] || $P tools/data/build_cache.py --split train --n ${PROC_N:-1000}
mkdir -p tools/train/runs/v2
[ -f tools/train/runs/v2/latents.pt ] || $P tools/train/train_photo.py --stage cache
exec $P tools/train/train_photo.py --stage unet --minutes ${MINUTES:-600}
