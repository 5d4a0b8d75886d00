#!/usr/bin/env bash
# The main job: on a fresh Debian/Ubuntu machine, install Fashion-MNIST if missing, build VisionLab,
# train LeNet-5 for 5 epochs and write a run folder (metrics.json, curves.png,
# confusion_matrix.png, checkpoints/). Extra arguments go to 'visionlab train'.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
scripts/setup.sh
./visionlab train --model lenet5 --data fashion-mnist --epochs 5 "$@"
