#!/usr/bin/env bash
# Installs what VisionLab needs from Debian/Ubuntu packages, skipping what is already there.
#   scripts/setup.sh             data set and fonts (enough to train and see results)
#   scripts/setup.sh --reference also Debian's PyTorch, torchvision and OpenBLAS: the reference
#                                that parity tests and bench/ compare against
set -euo pipefail
packages=(dataset-fashion-mnist fonts-dejavu-core libturbojpeg0)
if [[ "${1:-}" == "--reference" ]]; then
  packages+=(python3-torch python3-torchvision python3-numpy libopenblas0-pthread)
  packages+=(postgresql)   # a private server for the run store's tests (tests/VisionLab.Tests/Tracking/Store)
  packages+=(chromium)     # the browser Playwright drives in the served page's tests (tests/VisionLab.Tests/Server/Browser)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "setup: the .NET 10 SDK is not installed (https://dot.net; on Debian/Ubuntu: apt-get install dotnet-sdk-10.0)" >&2
  exit 1
fi
