#!/bin/sh
# Background training of ds-surface v4 (issue 9; train_photo.py --recipe v4 = v3's loss / weights / batches on new
# data, MODEL.md "v4 recipe (session 5)"): builds what is missing, then trains the UNet until killed.
#   DS_THREADS=1 nohup nice -n 5 sh tools/train/run_v4.sh >> tools/train/runs/v4-run.log 2>&1 &
# Data (tools/data/cache/, built here when missing; one process each, ~0.15 s of CPU a sample):
#   photo_train_v4.npz     2,400 natural photo samples re-rendered by main's photo_defects.py (v3's seeds)
#   photo_trimap_train.npz 2,400 defects drawn inside user-style painted strokes / blobs (trimap_defects.py)
#   train.npz              procedural samples (600 of them go into the latent cache)
# Latent cache: tools/train/runs/v4/latents.pt (per-part files in runs/v4/parts/; after rebuilding a photo cache
# delete latents.pt: the part is re-encoded when its .npz is newer). With latents.pt present nothing else is built.
# Resumes from runs/v4/unet.pt, else the committed tools/train/checkpoints/ds-surface-v4-ema.pt (fresh optimiser,
# warm-up), else the v3 run's runs/v3/unet.pt (weights, EMA and optimiser), else tools/train/checkpoints/ds-surface-v3-ema.pt.
set -e
cd "$(dirname "$0")/../.."
P=/usr/bin/python3
export DS_THREADS=${DS_THREADS:-2}
# the v4 recipe's training photos: the 547 of sessions 2-6, in their order, on any machine (photos.split(); set
# DS_PHOTO_TRAIN_LIST= (empty) for every non-evaluation photo of this machine's index)
export DS_PHOTO_TRAIN_LIST=${DS_PHOTO_TRAIN_LIST-tools/data/photo-train-v2a.txt}
mkdir -p tools/train/runs/v4
if [ ! -f tools/train/runs/v4/latents.pt ]; then  # with the latent cache in place the photo caches are not needed
  [ -f tools/data/cache/photos/index.json ] || $P tools/data/photos.py index
  [ -f tools/data/cache/photo_train_v4.npz ] || $P tools/data/build_photo_cache.py --split train --n ${PHOTO_N:-2400} --procs 1 --name photo_train_v4
  [ -f tools/data/cache/photo_trimap_train.npz ] || $P tools/data/build_photo_cache.py --split train-trimap --n ${TRIMAP_N:-2400} --procs 1
  [ -f tools/data/cache/train.npz ] || $P tools/data/build_cache.py --split train --n ${PROC_N:-600} --procs 1
  $P tools/train/train_photo.py --stage cache --recipe v4 --cache-proc ${PROC_N:-600}
fi
# TYPE_WEIGHTS: the photo batches' per-type sampling weights (default v3's; session 7 raised cracks: MODEL.md)
exec $P tools/train/train_photo.py --stage unet --recipe v4 --minutes ${MINUTES:-600} \
    ${TYPE_WEIGHTS:+--type-weights "$TYPE_WEIGHTS"}
