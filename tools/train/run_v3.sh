#!/bin/sh
# Background training of ds-surface v3 (issue 9, third generation: train_photo.py --recipe v3): builds what is
# missing, then trains the UNet until killed.
#   DS_THREADS=1 nohup nice -n 5 sh tools/train/run_v3.sh >> tools/train/runs/v3-run.log 2>&1 &
# Resumes from tools/train/runs/v3/unet.pt, else tools/train/checkpoints/ds-surface-v3-ema.pt, else the v2 run
# (runs/v2/unet.pt, else checkpoints/ds-surface-v2-ema.pt), else the v1 pack.
# Its latent cache is runs/v3/latents.pt, built here from tools/data/cache/photo_train.npz + train.npz when missing,
# unless v2's runs/v2/latents.pt is newer than photo_train.npz (the same samples: the run then reads v2's).
# After a rebuild of the photo cache (new renderers): rm tools/train/runs/v3/latents.pt, then restart this script.
set -e
cd "$(dirname "$0")/../.."
P=/usr/bin/python3
export DS_THREADS=${DS_THREADS:-2}
[ -f tools/data/cache/photos/index.json ] || $P tools/data/photos.py index
[ -f tools/data/cache/photo_train.npz ] || $P tools/data/build_photo_cache.py --split train --n ${PHOTO_N:-2500} --procs 1
[ -f tools/data/cache/train.npz ] || $P tools/data/build_cache.py --split train --n ${PROC_N:-1000} --procs 1
mkdir -p tools/train/runs/v3
V2L=tools/train/runs/v2/latents.pt
if [ ! -f tools/train/runs/v3/latents.pt ] && ! { [ -f $V2L ] && [ $V2L -nt tools/data/cache/photo_train.npz ]; }; then
  $P tools/train/train_photo.py --stage cache --recipe v3
fi
exec $P tools/train/train_photo.py --stage unet --recipe v3 --minutes ${MINUTES:-600}
