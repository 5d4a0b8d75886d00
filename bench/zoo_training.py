#!/usr/bin/python3
"""Training throughput of zoo models on Fashion-MNIST, VisionLab side by side with Debian's PyTorch.

Both sides train the same architecture on the same 28x28 one-channel images: SGD with momentum,
the same batch size and intra-op threads, cross-entropy, no augmentation. VisionLab runs
`./visionlab train` for two epochs over the first N training images and reports the second epoch
(the first warms up the JIT and the allocators); PyTorch runs the equivalent loop over the same
number of images held in one tensor, one warm-up pass, then one timed pass. With --small-input both
use the small-input stem (torchvision's model edited by hand the same way: no stem max pool for
ResNet and ShuffleNet V2, a stride-1 first convolution for MobileNet V2/V3). The two sides alternate
model by model, round after round; the figure is the median over rounds.

usage: bench/zoo_training.py [--models shufflenet_v2_x1_0,mobilenet_v2,resnet18] [--small-input]
                             [--batch 128] [--images 3840] [--threads 2] [--rounds 3] [--json FILE]
"""
import argparse, json, os, statistics, subprocess, tempfile, time

import numpy as np
import torch
import torchvision

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FASHION = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def fashion_images(count):
    import gzip
    with gzip.open(FASHION, "rb") as f:
        raw = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    images = raw.reshape(-1, 1, 28, 28)[:count].astype(np.float32) / 255.0
    return torch.from_numpy((images - 0.2860) / 0.3530)


def torchvision_model(name, small_input):
    model = getattr(torchvision.models, name)(num_classes=10)
    # One input channel, as VisionLab builds it from the data.
    if name.startswith("resnet"):
        model.conv1 = torch.nn.Conv2d(1, 64, 7, 2, 3, bias=False)
        if small_input:
            model.maxpool = torch.nn.Identity()
    elif name.startswith("shufflenet"):
        out = model.conv1[0].out_channels
        model.conv1[0] = torch.nn.Conv2d(1, out, 3, 2, 1, bias=False)
        if small_input:
            model.maxpool = torch.nn.Identity()
    elif name.startswith("mobilenet"):
        out = model.features[0][0].out_channels
        model.features[0][0] = torch.nn.Conv2d(1, out, 3, 1 if small_input else 2, 1, bias=False)
    else:
        raise SystemExit(f"{name}: this benchmark adapts ResNet, ShuffleNet V2 and MobileNet only")
    return model


def pytorch_images_per_second(name, small_input, images, labels, batch):
    model = torchvision_model(name, small_input).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def one_pass():
        for start in range(0, len(images) - batch + 1, batch):
            x, y = images[start:start + batch], labels[start:start + batch]
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            loss.item()

    one_pass()
    start = time.perf_counter()
    one_pass()
    return (len(images) // batch) * batch / (time.perf_counter() - start)


def visionlab_images_per_second(name, small_input, count, batch, threads):
    with tempfile.TemporaryDirectory(prefix="vl-bench-") as out:
        args = [os.path.join(ROOT, "visionlab"), "train", "--model", name, "--data", "fashion-mnist",
                "--epochs", "2", "--schedule", "constant", "--lr", "0.01", "--threads", str(threads),
                "--batch-size", str(batch), "--train-limit", str(count), "--test-limit", "100",
                "--out", os.path.join(out, "run"), "--json"]
        if small_input:
            args.append("--small-input")
        result = subprocess.run(args, check=True, capture_output=True, text=True)
    return json.loads(result.stdout)["metrics"]["history"][1]["train_images_per_second"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default="shufflenet_v2_x1_0,mobilenet_v2,resnet18")
    p.add_argument("--small-input", action="store_true")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--images", type=int, default=3840)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--json", help="also write the figures to this file")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    images = fashion_images(a.images)
    labels = torch.randint(0, 10, (len(images),))

    rows = []
    for name in a.models.split(","):
        ours, theirs = [], []
        for _ in range(a.rounds):
            ours.append(visionlab_images_per_second(name, a.small_input, a.images, a.batch, a.threads))
            theirs.append(pytorch_images_per_second(name, a.small_input, images, labels, a.batch))
        row = {"model": name, "small_input": a.small_input, "batch": a.batch, "threads": a.threads,
               "visionlab_images_per_second": statistics.median(ours),
               "pytorch_images_per_second": statistics.median(theirs)}
        row["ratio"] = row["visionlab_images_per_second"] / row["pytorch_images_per_second"]
        rows.append(row)
        print(f"{name:22s} VisionLab {row['visionlab_images_per_second']:7.1f} img/s   "
              f"PyTorch {row['pytorch_images_per_second']:7.1f} img/s   {row['ratio']:.2f}x", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"torch": torch.__version__, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
