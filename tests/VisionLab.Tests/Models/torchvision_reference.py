#!/usr/bin/python3
"""Reference outputs for VisionLab's parity tests, made with Debian's torchvision.

Reads a JSON list of cases from stdin, each {"id", "model", "num_classes", "in_channels",
"height", "width", "batch", "seed", "kwargs"} (kwargs: extra builder arguments, such as a vision
transformer's image_size), and writes into OUT_DIR, per case:
  <id>.weights.pt  the state dict of torchvision's model, seeded, with batch-norm affine parameters
                   randomised and running statistics calibrated on random batches
  <id>.io.pt       {"input": x, "output": model(x)} with the model in eval mode
  <id>.input.npy, <id>.output.npy   the same arrays as NumPy files
usage: torchvision_reference.py OUT_DIR < cases.json
"""
import json, sys

import numpy

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


def calibrate_norms(model, generator, shape):
    """Give batch norms realistic, non-trivial eval behaviour: random affine parameters, and running
    statistics measured on random batches (so deep networks keep activations in a sane range)."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for module in norms:
        n = module.num_features
        with torch.no_grad():
            module.weight.copy_(torch.rand(n, generator=generator) * 0.5 + 0.5)
            module.bias.copy_(torch.randn(n, generator=generator) * 0.1)
        module.reset_running_stats()
        module.momentum = None  # cumulative average over the calibration batches
    if norms:
        model.train()
        with torch.no_grad():
            for _ in range(2):
                model(torch.randn(*shape, generator=generator))


def randomise_layer_norms_and_scales(model, generator):
    """Layer norms start as the identity and ConvNeXt's layer scales at 1e-6, which would hide
    a wrong residual branch; give them random values of order one."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.LayerNorm) and module.elementwise_affine:
                module.weight.copy_(torch.rand(module.weight.shape, generator=generator) * 0.5 + 0.5)
                module.bias.copy_(torch.randn(module.bias.shape, generator=generator) * 0.1)
        for name, parameter in model.named_parameters():
            if name.endswith("layer_scale"):
                parameter.copy_(torch.rand(parameter.shape, generator=generator) * 0.5 + 0.5)


def randomise_zero_heads(model, generator):
    """Heads that start at zero (a vision transformer's) give zero gradients; give them small random weights."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear) and not module.weight.any():
                module.weight.copy_(torch.randn(module.weight.shape, generator=generator) * 0.05)


def seeded_model(case, in_channels, calibration_shape, random_heads=False):
    """The case's torchvision model, seeded, with non-trivial norms (and heads, if asked), in eval mode,
    and the generator to draw its inputs from next. Every reference script builds its models here."""
    torch.manual_seed(case["seed"])
    generator = torch.Generator().manual_seed(case["seed"])
    model = getattr(torchvision.models, case["model"])(num_classes=case["num_classes"], **case.get("kwargs", {}))
    adapt_input_channels(model, in_channels)
    randomise_layer_norms_and_scales(model, generator)
    if random_heads:
        randomise_zero_heads(model, generator)
    calibrate_norms(model, generator, calibration_shape)
    model.eval()
    return model, generator


def main():
    out = sys.argv[1]
    torch.set_num_threads(2)
    for case in json.load(sys.stdin):
        shape = (case["batch"], case["in_channels"], case["height"], case["width"])
        model, generator = seeded_model(case, case["in_channels"], shape)
        x = torch.randn(*shape, generator=generator)
        with torch.no_grad():
            y = model(x)
        torch.save(model.state_dict(), f"{out}/{case['id']}.weights.pt")
        torch.save({"input": x, "output": y}, f"{out}/{case['id']}.io.pt")
        numpy.save(f"{out}/{case['id']}.input.npy", x.numpy())
        numpy.save(f"{out}/{case['id']}.output.npy", y.numpy())


if __name__ == "__main__":
    main()
