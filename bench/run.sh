#!/usr/bin/env bash
# Installs the reference (Debian's PyTorch, torchvision, OpenBLAS) and runs the side-by-side
# LeNet-5 training benchmark. Arguments go to bench/lenet_training.py (e.g. --rounds 7).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh --reference
./visionlab models >/dev/null   # build before timing anything
exec /usr/bin/python3 bench/lenet_training.py "$@"
