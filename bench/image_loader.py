#!/usr/bin/python3
"""Training input pipeline throughput: VisionLab's loader side by side with torchvision's.

Both sides read the same folder of generated JPEGs (class-per-folder layout) and do the same work
per image: decode, RandomResizedCrop(224), RandomHorizontalFlip, to float, normalise with ImageNet
statistics, collate into batches of 64. torchvision uses ImageFolder + DataLoader (PIL decoding)
with 0 and 2 worker processes; VisionLab runs `visionlab data bench` with 0 and 2 worker threads.
Each configuration reads the whole folder once after a warm-up batch; configurations alternate,
round after round, and the median images/s is reported.

usage: bench/image_loader.py [--images 2000] [--size 500x375] [--batch 64] [--workers 0,2]
                             [--rounds 3] [--threads 2] [--folder DIR] [--json FILE]
"""
import argparse, json, os, statistics, subprocess, tempfile, time

import numpy as np
import torch
import torchvision
from PIL import Image, ImageDraw

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_folder(folder, count, width, height):
    """Photos stand-ins: smooth colour gradients with shapes and noise, saved as quality-90 JPEGs."""
    rng = np.random.default_rng(0)
    classes = ["circles", "squares", "stripes", "triangles"]
    for c in classes:
        os.makedirs(os.path.join(folder, c), exist_ok=True)
    yy, xx = np.mgrid[0:height, 0:width]
    for i in range(count):
        c = classes[i % len(classes)]
        base = np.stack([(xx * rng.uniform(0.2, 1)) % 256, (yy * rng.uniform(0.2, 1)) % 256,
                         np.full_like(xx, rng.integers(0, 256))], axis=-1)
        noisy = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
        img = Image.fromarray(noisy, "RGB")
        draw = ImageDraw.Draw(img)
        for _ in range(6):
            x0, y0 = rng.integers(0, width - 60), rng.integers(0, height - 60)
            colour = tuple(int(v) for v in rng.integers(0, 256, 3))
            draw.ellipse([x0, y0, x0 + 50, y0 + 50], fill=colour)
        img.save(os.path.join(folder, c, f"{i:05d}.jpg"), quality=90)


def torchvision_images_per_second(folder, batch, workers):
    transform = torchvision.transforms.Compose([
        torchvision.transforms.RandomResizedCrop(224),
        torchvision.transforms.RandomHorizontalFlip(),
        torchvision.transforms.ToTensor(),
        torchvision.transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    data = torchvision.datasets.ImageFolder(folder, transform=transform)
    loader = torch.utils.data.DataLoader(data, batch_size=batch, shuffle=True, num_workers=workers,
                                         persistent_workers=False)
    next(iter(loader))  # warm-up, as VisionLab's side has
    start = time.perf_counter()
    images = 0
    for x, _ in loader:
        images += x.shape[0]
    return images / (time.perf_counter() - start)


def visionlab_images_per_second(folder, batch, workers):
    out = subprocess.run([os.path.join(ROOT, "visionlab"), "data", "bench", folder, "--batch", str(batch),
                          "--workers", str(workers), "--image-size", "224", "--json"],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)["images_per_second"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--images", type=int, default=2000)
    p.add_argument("--size", default="500x375")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--workers", default="0,2")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--folder", help="reuse (or create) this folder of generated JPEGs")
    p.add_argument("--json", help="also write the figures to this file")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    width, height = (int(v) for v in a.size.split("x"))
    with tempfile.TemporaryDirectory(prefix="vl-loader-") as temp:
        folder = a.folder or os.path.join(temp, "photos")
        if not os.path.isdir(folder) or not os.listdir(folder):
            print(f"generating {a.images} JPEGs of {width}x{height} in {folder}", flush=True)
            make_folder(folder, a.images, width, height)
        images = sum(len(files) for _, _, files in os.walk(folder))
        rows = []
        for workers in (int(w) for w in a.workers.split(",")):
            ours, theirs = [], []
            for _ in range(a.rounds):
                ours.append(visionlab_images_per_second(folder, a.batch, workers))
                theirs.append(torchvision_images_per_second(folder, a.batch, workers))
            row = {"workers": workers, "batch": a.batch,
                   "visionlab_images_per_second": statistics.median(ours),
                   "torchvision_images_per_second": statistics.median(theirs)}
            row["ratio"] = row["visionlab_images_per_second"] / row["torchvision_images_per_second"]
            rows.append(row)
            print(f"workers {workers}: VisionLab {row['visionlab_images_per_second']:7.1f} img/s   "
                  f"torchvision {row['torchvision_images_per_second']:7.1f} img/s   {row['ratio']:.2f}x", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"torch": torch.__version__, "torchvision": torchvision.__version__, "images": images,
                       "size": a.size, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
