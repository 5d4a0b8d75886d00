#!/usr/bin/python3
"""The PyTorch side of the LeNet-5 training benchmark (see bench/README.md).

Trains the same LeNet-5 as VisionLab (conv 5x5 pad 2 -> relu -> maxpool, conv 5x5 -> relu ->
maxpool, fc 400-120-84-10) on Fashion-MNIST with SGD (momentum 0.9), cross-entropy, the given batch
size and threads, tracking loss and accuracy every batch as VisionLab's loop does. The first epoch
warms up; the second is timed, data loop included. Two data paths:

  tensor      the whole set as one uint8 tensor; each batch gathered by index and normalised
              (the fastest plain-PyTorch loop, and the same work VisionLab's loader does)
  dataloader  torchvision.datasets.FashionMNIST + ToTensor + Normalize through DataLoader
              (what the PyTorch tutorials write)

Prints one JSON line per data path.
"""
import argparse, gzip, json, os, shutil, struct, tempfile, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"


class LeNet5(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.flatten(1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def tensor_batches(images, labels, batch, generator, mean, std):
    order = torch.randperm(len(labels), generator=generator)
    for start in range(0, len(labels), batch):
        idx = order[start:start + batch]
        x = images[idx].unsqueeze(1).float().div_(255).sub_(mean).div_(std)
        yield x, labels[idx]


def dataloader_batches(batch, mean, std, root):
    import torchvision
    from torchvision import transforms
    ds = torchvision.datasets.FashionMNIST(root, train=True, download=False, transform=transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((mean,), (std,))]))
    return lambda: iter(torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=True, num_workers=0))


def torchvision_root():
    """torchvision reads the uncompressed files from <root>/FashionMNIST/raw."""
    root = tempfile.mkdtemp(prefix="vl-bench-")
    raw = os.path.join(root, "FashionMNIST", "raw")
    os.makedirs(raw)
    for name in os.listdir(DATA):
        with gzip.open(os.path.join(DATA, name)) as src, open(os.path.join(raw, name[:-3]), "wb") as dst:
            shutil.copyfileobj(src, dst)
    return root


def train_epoch(model, opt, batches):
    n = correct = 0
    loss_sum = 0.0
    for x, y in batches:
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss_sum += loss.item() * len(y)
        correct += (logits.argmax(1) == y).sum().item()
        n += len(y)
    return n, loss_sum / n, correct / n


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--paths", default="tensor,dataloader")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    images = torch.from_numpy(read_idx(f"{DATA}/train-images-idx3-ubyte.gz").copy())
    labels = torch.from_numpy(read_idx(f"{DATA}/train-labels-idx1-ubyte.gz").astype(np.int64))
    mean = images.float().div(255).mean().item()
    std = images.float().div(255).std().item()
    root = torchvision_root() if "dataloader" in a.paths else None
    try:
        for path in a.paths.split(","):
            torch.manual_seed(42)
            g = torch.Generator().manual_seed(42)
            model = LeNet5()
            opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9)
            make = (lambda: tensor_batches(images, labels, a.batch_size, g, mean, std)) if path == "tensor" \
                else dataloader_batches(a.batch_size, mean, std, root)
            train_epoch(model, opt, make())  # warm-up epoch
            start = time.perf_counter()
            n, loss, acc = train_epoch(model, opt, make())
            seconds = time.perf_counter() - start
            print(json.dumps({"framework": "pytorch " + torch.__version__, "data_path": path,
                              "blas": os.path.realpath("/etc/alternatives/libblas.so.3-x86_64-linux-gnu"),
                              "threads": a.threads, "batch_size": a.batch_size, "images": n,
                              "seconds": round(seconds, 3), "images_per_second": round(n / seconds, 1),
                              "train_loss": round(loss, 4), "train_accuracy": round(acc, 4)}))
    finally:
        if root:
            shutil.rmtree(root)


if __name__ == "__main__":
    main()
