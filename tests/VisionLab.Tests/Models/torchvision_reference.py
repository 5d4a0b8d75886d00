#!/usr/bin/python3
"""Reference outputs for VisionLab's parity tests, made with Debian's torchvision.

Reads a JSON list of cases from stdin, each {"id", "model", "num_classes", "in_channels",
"height", "width", "batch", "seed"}, and writes into OUT_DIR, per case:
  <id>.weights.pt  the state dict of torchvision's model, seeded, with batch-norm running
                   statistics and affine parameters randomised so that eval mode is not an identity
  <id>.io.pt       {"input": x, "output": model(x)} with the model in eval mode
usage: torchvision_reference.py OUT_DIR < cases.json
"""
import json, sys

import torch
import torch.nn as nn
import torchvision


def first_conv(model):
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            return name, module
    raise ValueError("model has no convolution")


def adapt_input_channels(model, channels):
    """Give the first convolution `channels` inputs, as VisionLab's in_channels option does."""
    name, conv = first_conv(model)
    if conv.in_channels == channels:
        return
    replacement = nn.Conv2d(channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
                            conv.dilation, conv.groups, conv.bias is not None)
    parent = model
    *path, last = name.split(".")
    for part in path:
        parent = getattr(parent, part)
    setattr(parent, last, replacement)


def randomise_norms(model, generator):
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            n = module.num_features
            with torch.no_grad():
                module.running_mean.copy_(torch.randn(n, generator=generator) * 0.1)
                module.running_var.copy_(torch.rand(n, generator=generator) + 0.5)
                module.weight.copy_(torch.rand(n, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(n, generator=generator) * 0.1)
                module.num_batches_tracked.fill_(7)


def main():
    out = sys.argv[1]
    torch.set_num_threads(2)
    for case in json.load(sys.stdin):
        torch.manual_seed(case["seed"])
        generator = torch.Generator().manual_seed(case["seed"])
        model = getattr(torchvision.models, case["model"])(num_classes=case["num_classes"])
        adapt_input_channels(model, case["in_channels"])
        randomise_norms(model, generator)
        model.eval()
        x = torch.randn(case["batch"], case["in_channels"], case["height"], case["width"], generator=generator)
        with torch.no_grad():
            y = model(x)
        torch.save(model.state_dict(), f"{out}/{case['id']}.weights.pt")
        torch.save({"input": x, "output": y}, f"{out}/{case['id']}.io.pt")


if __name__ == "__main__":
    main()
