#!/bin/sh
# Reproduces docs/adaptation.md: decoder-adaptation quality on 50 generated samples of a pack, the PyTorch
# full-decoder AdamW reference on the first REF_N of them, and the timings of the closed-form step.
#
#   sh tools/adaptation/measure.sh public/models/<id> [REF_N=10] [STEPS=pack default]
#
# Needs the procedural eval set (tools/data/cache/eval.npz, from tools/data) and Debian's python3-torch/onnx.
set -eu
PACK=${1:?usage: measure.sh PACK_DIR [REF_N] [STEPS]}
REF_N=${2:-10}
STEPS=${3:-}
ID=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$PACK/defect-studio.json','utf8')).id)")
S=bench/results/adaptation/samples
nice -n 10 /usr/bin/python3 tools/adaptation/export_eval.py --n 50
nice -n 10 node --import tsx tools/adaptation/generate-samples.ts --pack "$PACK" --n 50 ${STEPS:+--steps $STEPS}
nice -n 10 node --import tsx tools/adaptation/generate-samples.ts --pack "$PACK" --n 50 --synthetic
nice -n 10 /usr/bin/python3 tools/adaptation/reference.py --samples "$S/$ID" --n "$REF_N"
nice -n 10 /usr/bin/python3 tools/adaptation/reference.py --samples "$S/$ID-synthetic" --n "$REF_N"
nice -n 10 node --import tsx bench/adaptation.bench.ts
nice -n 10 node --import tsx bench/adaptation-browser.bench.ts
