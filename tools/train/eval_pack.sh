#!/bin/bash
# A checkpoint pack evaluated as it would ship (session 7): PACK copied with the built-in pack's promptPresets and
# defaults -> the 124 photo cases scored by clf-photo4 seeds 0, 1, 2 (tools/train/runs/clf-photo4.pt, -seed1.pt,
# -seed2.pt: check_clf.py --train --seed N) and clf-photo3, summarised by clf_draws.py; then procedurally at plain
# settings (the presets' prompts only, guidance 7, seamPx 0).
# Usage: tools/train/eval_pack.sh PACK NAME   (copies in /tmp/NAME-ship and /tmp/NAME-plain; runs under
# tools/train/runs/photo-eval/NAME-ship and runs/proc-eval/NAME-plain)
set -ex
PACK=$1; NAME=$2
cd "$(dirname "$0")/../.."
export DS_THREADS=1 DS_PHOTO_TRAIN_LIST=tools/data/photo-train-v2a.txt
P=/usr/bin/python3
R=tools/train/runs
rm -rf /tmp/$NAME-ship /tmp/$NAME-plain
cp -r $PACK /tmp/$NAME-ship; cp -r $PACK /tmp/$NAME-plain
$P - /tmp/$NAME-ship /tmp/$NAME-plain <<'PY'
import json, sys
ship = json.load(open("public/models/ds-surface-v1/defect-studio.json"))
for d, mode in zip(sys.argv[1:], ("ship", "plain")):
    p = d + "/defect-studio.json"; m = json.load(open(p))
    if mode == "ship":
        m["promptPresets"] = ship["promptPresets"]; m["defaults"] = ship["defaults"]
    else:
        m["promptPresets"] = [x["prompt"] if isinstance(x, dict) else x for x in ship["promptPresets"]]
        m["defaults"] = dict(ship["defaults"], seamPx=0, guidance=7)
    json.dump(m, open(p, "w"), indent=1)
    print(mode, m["promptPresets"], m["defaults"])
PY
date -u
nice -n 10 $P tools/train/evaluate_photos.py --pack /tmp/$NAME-ship --name $NAME-ship --clf $R/clf-photo4.pt --json-name metrics-clf4.json > /tmp/eval-$NAME-clf4.out
for s in 1 2; do
  nice -n 10 $P tools/train/evaluate_photos.py --rescore --pack /tmp/$NAME-ship --name $NAME-ship --clf $R/clf-photo4-seed$s.pt --json-name metrics-clf4-seed$s.json > /dev/null
done
nice -n 10 $P tools/train/evaluate_photos.py --rescore --pack /tmp/$NAME-ship --name $NAME-ship --clf $R/clf-photo3.pt --json-name metrics-clf3.json > /dev/null
D=$R/photo-eval/$NAME-ship
$P tools/train/clf_draws.py $D/metrics-clf4.json $D/metrics-clf4-seed1.json $D/metrics-clf4-seed2.json --out $D/metrics-clf4-draws.json
date -u
nice -n 10 $P tools/train/evaluate_procedural.py --pack /tmp/$NAME-plain --name $NAME-plain > /tmp/eval-$NAME-proc.out
date -u
