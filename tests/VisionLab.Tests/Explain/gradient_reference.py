#!/usr/bin/python3
"""Reference gradient maps for VisionLab's Explain tests, computed with Debian's PyTorch.

Reads a JSON list of cases from stdin, each {"id", "model", "num_classes", "height", "width",
"seed"}, builds the seeded torchvision model exactly as the zoo parity references do, and writes
into OUT_DIR per case:
  <id>.weights.pt            the state dict
  <id>.input.npy             the input, 1xCxHxW
  <id>.class.npy             the class explained (the predicted one)
  <id>.saliency.npy          max over channels of |d logit / d input| (Simonyan et al. 2014)
  <id>.guidedbackprop.npy    the same with guided ReLUs (Springenberg et al. 2015)
Guided backpropagation replaces every nn.ReLU and nn.ReLU6 module by one whose backward passes only
positive gradients where its input was positive (ReLU6: where it was between 0 and 6). The
torchvision families used here (resnet, mobilenet_v2, mobilenet_v3) call ReLU only as modules.
usage: gradient_reference.py OUT_DIR < cases.json
"""
import json, os, sys

import numpy
import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Models"))
from torchvision_reference import adapt_input_channels, calibrate_norms, randomise_layer_norms_and_scales  # noqa: E402
import torchvision  # noqa: E402


class GuidedClamp(torch.autograd.Function):
    """clamp(x, 0, upper) forward; backward, the gradient where it is positive and 0 < x < upper."""

    @staticmethod
    def forward(ctx, x, upper):
        ctx.save_for_backward(x)
        ctx.upper = upper
        return x.clamp(0, upper)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        passes = (x > 0) & (x < ctx.upper) & (grad > 0)
        return grad * passes, None


class GuidedReLU(nn.Module):
    def __init__(self, upper):
        super().__init__()
        self.upper = upper

    def forward(self, x):
        return GuidedClamp.apply(x, self.upper)


def guide(module):
    for name, child in module.named_children():
        if isinstance(child, nn.ReLU6):
            setattr(module, name, GuidedReLU(6.0))
        elif isinstance(child, nn.ReLU):
            setattr(module, name, GuidedReLU(float("inf")))
        else:
            guide(child)


def input_gradient(model, x, k):
    x = x.clone().requires_grad_(True)
    gradient, = torch.autograd.grad(model(x)[0, k], x)
    return gradient


def main():
    out = sys.argv[1]
    torch.set_num_threads(2)
    # PyTorch 1.13's oneDNN (mkldnn) convolutions compute wrong input gradients on this project's
    # machines: ResNet-18's saliency came out 8.7e-3 (relative) away from float64, and 5e-7 with
    # PyTorch's own kernels, which are the ones VisionLab runs (Runtime/ConvolutionBackend.cs).
    torch.backends.mkldnn.enabled = False
    for case in json.load(sys.stdin):
        torch.manual_seed(case["seed"])
        generator = torch.Generator().manual_seed(case["seed"])
        model = getattr(torchvision.models, case["model"])(num_classes=case["num_classes"])
        adapt_input_channels(model, 3)
        randomise_layer_norms_and_scales(model, generator)
        shape = (1, 3, case["height"], case["width"])
        calibrate_norms(model, generator, (2,) + shape[1:])
        model.eval()
        x = torch.randn(*shape, generator=generator)
        with torch.no_grad():
            k = int(model(x)[0].argmax())

        prefix = f"{out}/{case['id']}"
        torch.save(model.state_dict(), f"{prefix}.weights.pt")
        numpy.save(f"{prefix}.input.npy", x.numpy())
        numpy.save(f"{prefix}.class.npy", numpy.array([k], dtype=numpy.int64))
        saliency = input_gradient(model, x, k).abs().amax(1)[0]
        numpy.save(f"{prefix}.saliency.npy", saliency.numpy())
        guide(model)
        guided = input_gradient(model, x, k).abs().amax(1)[0]
        numpy.save(f"{prefix}.guidedbackprop.npy", guided.numpy())


if __name__ == "__main__":
    main()
