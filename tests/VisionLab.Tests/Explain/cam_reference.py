#!/usr/bin/python3
"""Reference class-activation maps for VisionLab's Explain tests, computed with Debian's PyTorch.

Reads a JSON list of cases from stdin, each {"id", "model", "num_classes", "height", "width",
"seed", "layer", "kwargs"}, builds the seeded torchvision model exactly as the zoo parity
references do, and writes into OUT_DIR per case:
  <id>.weights.pt   the state dict
  <id>.input.npy    the input, 1xCxHxW
  <id>.class.npy    the class explained (the predicted one)
  <id>.<method>.raw.npy   the map at the layer's resolution, before normalisation
  <id>.<method>.npy       the map upsampled bilinearly to HxW, then min-max normalised
Methods: gradcam, gradcam++, xgradcam, hirescam, layercam, written from the papers' formulas.
The layer's output is read with a forward hook; token outputs (batch, 1 + h*w, C) are laid on
their grid without the class token.
usage: cam_reference.py OUT_DIR < cases.json
"""
import json, math, os, sys

import numpy
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Models"))
from torchvision_reference import seeded_model  # noqa: E402


def to_grid(t):
    if t.dim() == 4:
        return t
    tokens = t.shape[1]
    side = int(round(math.sqrt(tokens)))
    if side * side != tokens:
        side = int(round(math.sqrt(tokens - 1)))
        t = t[:, 1:]
    return t.reshape(t.shape[0], side, side, t.shape[2]).permute(0, 3, 1, 2)


def maps_for(a, g):
    eps = 1e-7
    weighted = lambda w: F.relu((w[:, :, None, None] * a).sum(1))
    g2, g3 = g ** 2, g ** 3
    alpha = g2 / (2 * g2 + a.sum((2, 3), keepdim=True) * g3 + eps)
    alpha = torch.where(g != 0, alpha, torch.zeros_like(alpha))
    return {
        "gradcam": weighted(g.mean((2, 3))),
        "gradcam++": weighted((F.relu(g) * alpha).sum((2, 3))),
        "xgradcam": weighted((g * a).sum((2, 3)) / (a.sum((2, 3)) + eps)),
        "hirescam": F.relu((g * a).sum(1)),
        "layercam": F.relu((F.relu(g) * a).sum(1)),
    }


def main():
    out = sys.argv[1]
    torch.set_num_threads(2)
    for case in json.load(sys.stdin):
        shape = (1, 3, case["height"], case["width"])
        model, generator = seeded_model(case, 3, (2,) + shape[1:], random_heads=True)
        x = torch.randn(*shape, generator=generator)

        captured = {}
        layer = model.get_submodule(case["layer"])
        layer.register_forward_hook(lambda m, i, o: captured.__setitem__("out", o))
        y = model(x)
        k = int(y[0].argmax())
        activation = captured["out"]
        gradient, = torch.autograd.grad(y[0, k], activation)
        a, g = to_grid(activation.detach()).double(), to_grid(gradient).double()

        prefix = f"{out}/{case['id']}"
        torch.save(model.state_dict(), f"{prefix}.weights.pt")
        numpy.save(f"{prefix}.input.npy", x.numpy())
        numpy.save(f"{prefix}.class.npy", numpy.array([k], dtype=numpy.int64))
        for name, cam in maps_for(a, g).items():
            numpy.save(f"{prefix}.{name}.raw.npy", cam[0].float().numpy())
            up = F.interpolate(cam[:, None].float(), size=shape[2:], mode="bilinear", align_corners=False)[0, 0]
            up = (up - up.min()) / (up.max() - up.min()) if up.max() > up.min() else torch.zeros_like(up)
            numpy.save(f"{prefix}.{name}.npy", up.numpy())


if __name__ == "__main__":
    main()
