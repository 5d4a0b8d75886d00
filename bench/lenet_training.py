#!/usr/bin/python3
"""Side-by-side LeNet-5 training throughput: VisionLab against Debian's PyTorch.

Every configuration trains LeNet-5 on Fashion-MNIST with SGD (momentum 0.9), the same batch size
and the same number of intra-op threads, tracking loss and accuracy every batch; the first epoch
warms up (about four seconds, enough for .NET's tiered JIT and PyTorch's allocator) and the second
is timed, data loop included. Configurations run interleaved, round after round, so that a noisy
neighbour on a shared machine hurts all of them alike; the figure reported is the median.

  visionlab            ./visionlab train (the product's own loop and loader)
  pytorch-dataloader   torchvision FashionMNIST + ToTensor + Normalize + DataLoader, OpenBLAS
  pytorch-tensor       hand-written loop over one in-memory tensor, OpenBLAS
  pytorch-refblas      as pytorch-dataloader, with Debian's reference BLAS instead of OpenBLAS

Usage: bench/lenet_training.py [--rounds 5] [--threads 2] [--batch-size 64] [--json FILE]
"""
import argparse, json, os, statistics, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTORCH = os.path.join(ROOT, "bench", "lenet_pytorch.py")
REFERENCE_BLAS = "/usr/lib/x86_64-linux-gnu/blas"


def run_visionlab(threads, batch):
    with tempfile.TemporaryDirectory(prefix="vl-bench-") as out:
        result = subprocess.run(
            [os.path.join(ROOT, "visionlab"), "train", "--model", "lenet5", "--data", "fashion-mnist",
             "--epochs", "2", "--schedule", "constant", "--threads", str(threads), "--batch-size", str(batch),
             "--test-limit", "1000", "--out", os.path.join(out, "run"), "--json"],
            check=True, capture_output=True, text=True)
    return json.loads(result.stdout)["metrics"]["history"][1]["train_images_per_second"]


def run_pytorch(path, threads, batch, reference_blas=False):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    if reference_blas:
        env["LD_LIBRARY_PATH"] = REFERENCE_BLAS
    result = subprocess.run(["/usr/bin/python3", PYTORCH, "--paths", path, "--threads", str(threads),
                             "--batch-size", str(batch)], check=True, capture_output=True, text=True, env=env)
    return json.loads(result.stdout.strip().splitlines()[-1])["images_per_second"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--json", help="also write the figures to this file")
    a = p.parse_args()

    configs = {
        "visionlab": lambda: run_visionlab(a.threads, a.batch_size),
        "pytorch-dataloader": lambda: run_pytorch("dataloader", a.threads, a.batch_size),
        "pytorch-tensor": lambda: run_pytorch("tensor", a.threads, a.batch_size),
        "pytorch-refblas": lambda: run_pytorch("dataloader", a.threads, a.batch_size, reference_blas=True),
    }
    samples = {name: [] for name in configs}
    for r in range(a.rounds):
        for name, run in configs.items():
            samples[name].append(run())
            print(f"round {r + 1}/{a.rounds} {name}: {samples[name][-1]:,.0f} img/s", file=sys.stderr)

    median = {name: statistics.median(v) for name, v in samples.items()}
    vl = median["visionlab"]
    print(f"\nLeNet-5 training on Fashion-MNIST, batch {a.batch_size}, {a.threads} threads, "
          f"median of {a.rounds} interleaved rounds (images/s, data loop included)\n")
    print(f"{'configuration':<20} {'median':>9} {'min':>9} {'max':>9}  VisionLab ratio")
    for name, v in samples.items():
        ratio = "" if name == "visionlab" else f"{vl / median[name]:.2f}x"
        print(f"{name:<20} {median[name]:>9,.0f} {min(v):>9,.0f} {max(v):>9,.0f}  {ratio}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"batch_size": a.batch_size, "threads": a.threads, "rounds": a.rounds,
                       "samples": samples, "median": median,
                       "ratios": {n: vl / m for n, m in median.items() if n != "visionlab"}}, f, indent=2)


if __name__ == "__main__":
    main()
