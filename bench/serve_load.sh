#!/usr/bin/env bash
# Load test of `visionlab serve` on localhost: LeNet-5 and ResNet-18 (small-input stem), each with
# batching (--max-batch 32) and without (--max-batch 1), 32 clients for 30 s (bench/loadtest).
# Writes one JSON line per configuration to stdout and to bench/results-serve-<date>.json.
#   bench/serve_load.sh [--clients 32] [--seconds 30]     (extra arguments go to bench/loadtest)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
./visionlab models >/dev/null   # builds the CLI into .build/cli
dotnet build bench/loadtest -c Release --nologo -v quiet >/dev/null
work="${TMPDIR:-/tmp}/visionlab-serve-load"
mkdir -p "$work"

# Short trainings: the weights do not change the speed, only the architecture does.
[[ -f "$work/lenet5/checkpoints/best.ckpt" ]] || ./visionlab train --model lenet5 --epochs 1 \
  --train-limit 2000 --test-limit 200 --out "$work/lenet5" --no-store --json >/dev/null
[[ -f "$work/resnet18/checkpoints/best.ckpt" ]] || ./visionlab train --model resnet18 --small-input --epochs 1 \
  --train-limit 512 --test-limit 200 --out "$work/resnet18" --no-store --json >/dev/null
# A Fashion-MNIST test image as PNG, the kind of upload the page sends.
/usr/bin/python3 - "$work/ankle-boot.png" <<'PY'
import gzip, struct, sys, zlib
raw = gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").read()[16:16 + 784]
rows = b"".join(b"\0" + raw[r * 28:(r + 1) * 28] for r in range(28))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY

results="bench/results-serve-$(date +%F).json"
: > "$results"
port=8090
for model in lenet5 resnet18; do
  for batch in 32 1; do
    dotnet .build/cli/VisionLab.Cli.dll serve --models "$work/$model" --port $port --max-batch $batch \
      --rate-limit 0 --json > "$work/serve.out" 2> "$work/serve.err" &
    server=$!
    for _ in $(seq 100); do [[ -s "$work/serve.out" ]] && break; sleep 0.2; done
    line=$(dotnet bench/loadtest/bin/Release/net10.0/LoadTest.dll --url "http://127.0.0.1:$port" --model "$model" \
      --image "$work/ankle-boot.png" "$@" || true)
    kill $server; wait $server || true   # SIGTERM: a background job of a script ignores SIGINT
    echo "{\"max_batch\": $batch, ${line#\{}" | tee -a "$results"
  done
done
