#!/usr/bin/python3
"""CPU inference speed of zoo models, VisionLab side by side with Debian's PyTorch/torchvision.

For each model at its default input size and each batch size: eval mode, no grad, random input,
warm-up by time, then the median of single forward passes timed for a few seconds. Same threads on
both sides (OpenBLAS limited to one thread, as libgomp and OpenBLAS fight on two cores). The two
sides alternate model by model, so a noisy spell on the machine hits both alike.

usage: bench/zoo_inference.py [--models all|resnet18,resnet50] [--batch 1,16] [--threads 2] [--seconds 3] [--json FILE] [--markdown]
  all: every zoo model torchvision also has (LeNet-5 is VisionLab's own)
"""
import argparse, json, math, os, subprocess, sys, time

import torch
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pytorch_speed(name, channels, height, width, batch, seconds):
    model = getattr(torchvision.models, name)().eval()
    x = torch.randn(batch, channels, height, width)
    with torch.no_grad():
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            model(x)
        times = []
        start = time.perf_counter()
        while time.perf_counter() - start < seconds or len(times) < 3:
            t = time.perf_counter()
            model(x)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    median = times[len(times) // 2]
    return {"median_milliseconds": median, "images_per_second": batch * 1000 / median}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default="all")
    p.add_argument("--batch", default="1,16")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seconds", type=float, default=3)
    p.add_argument("--json", help="also write the figures to this file")
    p.add_argument("--markdown", action="store_true", help="also print the README's table (batch 1 and 16 side by side)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)

    visionlab_cli = os.path.join(ROOT, "visionlab")
    if a.models == "all":
        zoo = json.loads(subprocess.run([visionlab_cli, "models", "--json"], check=True, capture_output=True, text=True).stdout)
        names = [m["name"] for m in zoo if hasattr(torchvision.models, m["name"])]
    else:
        names = a.models.split(",")
    rows = []
    for name in names:
        entry = json.loads(subprocess.run(
            [visionlab_cli, "bench", "models", "--models", name, "--batch", a.batch,
             "--threads", str(a.threads), "--seconds", str(a.seconds), "--json"],
            check=True, capture_output=True, text=True).stdout)["results"][0]
        c, h, w = (int(v) for v in entry["input"].split("x"))
        for speed in entry["speeds"]:
            ref = pytorch_speed(entry["model"], c, h, w, speed["batch"], a.seconds)
            rows.append({"model": entry["model"], "batch": speed["batch"],
                         "visionlab_ms": speed["median_milliseconds"], "pytorch_ms": ref["median_milliseconds"],
                         "visionlab_images_per_second": speed["images_per_second"],
                         "pytorch_images_per_second": ref["images_per_second"],
                         "speedup": ref["median_milliseconds"] / speed["median_milliseconds"]})
            print(f"{entry['model']} batch {speed['batch']}: VisionLab {speed['median_milliseconds']:.1f} ms, "
                  f"PyTorch {ref['median_milliseconds']:.1f} ms", file=sys.stderr, flush=True)

    print(f"\nCPU inference, {a.threads} threads, median of single passes (PyTorch {torch.__version__}, "
          f"torchvision {torchvision.__version__})\n")
    print(f"{'model':<20} {'batch':>5} {'VisionLab ms':>13} {'PyTorch ms':>11} {'VisionLab img/s':>16} {'PyTorch img/s':>14} {'speed-up':>9}")
    for r in rows:
        print(f"{r['model']:<20} {r['batch']:>5} {r['visionlab_ms']:>13.1f} {r['pytorch_ms']:>11.1f} "
              f"{r['visionlab_images_per_second']:>16.1f} {r['pytorch_images_per_second']:>14.1f} {r['speedup']:>8.2f}x")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"threads": a.threads, "rows": rows}, f, indent=2)
    if a.markdown:
        print_markdown(rows)


def print_markdown(rows):
    """One line per model with every batch size side by side, then the geometric mean of the speed-ups."""
    batches = sorted({r["batch"] for r in rows})
    header = "| model |" + "".join(f" batch {b} VisionLab ms | PyTorch ms | x |" for b in batches)
    print("\n" + header)
    print("| --- |" + " ---: | ---: | ---: |" * len(batches))
    for model in dict.fromkeys(r["model"] for r in rows):
        cells = []
        for b in batches:
            r = next((r for r in rows if r["model"] == model and r["batch"] == b), None)
            cells.append(" - | - | - |" if r is None else
                         f" {r['visionlab_ms']:,.1f} | {r['pytorch_ms']:,.1f} | {r['speedup']:.2f}x |")
        print(f"| {model} |" + "".join(cells))
    for b in batches:
        speedups = [r["speedup"] for r in rows if r["batch"] == b]
        mean = math.exp(sum(math.log(x) for x in speedups) / len(speedups))
        print(f"\nGeometric mean at batch {b} over {len(speedups)} models: {mean:.2f}x")


if __name__ == "__main__":
    main()
