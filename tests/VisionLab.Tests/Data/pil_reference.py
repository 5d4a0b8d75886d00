#!/usr/bin/python3
"""Reference images for VisionLab's image decoding and transform tests, made with PIL and
torchvision's functional API (torchvision 0.14 on PIL images).

Reads a JSON object from stdin and writes into OUT_DIR:
  "images": [{"name", "width", "height", "mode" ("RGB"|"L"), "seed"}]
      <name>.png  a deterministic pattern (gradients plus noise), and <name>.npy its uint8 pixels (H, W[, C])
  "cases": [{"id", "image", "op", "args"}]
      <id>.npy    torchvision's output for that operation on the image: uint8 (H, W[, C]) pixels, or
                  float32 (C, H, W) for "to_tensor_normalize"
  "files": [{"name", "format", "image", "args"}]
      <name>      the image saved by PIL in that format (args: PIL save options; "exif_orientation"
                  adds an EXIF orientation tag), and <name>.npy what PIL decodes from it
                  (ImageOps.exif_transpose, then convert to args["decode_mode"], default "RGB")
usage: pil_reference.py OUT_DIR < request.json
"""
import json, os, sys

import numpy
from PIL import Image, ImageOps
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode

INTERPOLATION = {"nearest": InterpolationMode.NEAREST, "bilinear": InterpolationMode.BILINEAR,
                 "bicubic": InterpolationMode.BICUBIC}


def pattern(width, height, mode, seed):
    """Smooth gradients (where resampling rounding shows) plus noise and hard edges (where filter support shows).
    Mode "COLORS" instead enumerates colours: every red level, green and blue in steps of 5
    (height 256, width 52 * 52), where colour conversions show their rounding."""
    if mode == "COLORS":
        y, x = numpy.mgrid[0:256, 0:52 * 52]
        return Image.fromarray(numpy.stack([y, (x // 52) * 5, (x % 52) * 5], axis=-1).astype(numpy.uint8), "RGB")
    rng = numpy.random.RandomState(seed)
    y, x = numpy.mgrid[0:height, 0:width]
    channels = [(x * 255 // max(width - 1, 1)), (y * 255 // max(height - 1, 1)), ((x + 2 * y) * 7) % 256]
    image = numpy.stack(channels, axis=-1).astype(numpy.int64)
    noise = rng.randint(-40, 41, size=image.shape)
    image = numpy.clip(image + noise, 0, 255)
    image[height // 3: height // 2, width // 4: width // 2] = rng.randint(0, 256, size=3)
    image = image.astype(numpy.uint8)
    pil = Image.fromarray(image, "RGB")
    return pil.convert("L") if mode == "L" else pil


def apply(op, image, args):
    interpolation = INTERPOLATION[args.get("interpolation", "bilinear")]
    if op == "resize":
        return F.resize(image, args["size"], interpolation)
    if op == "center_crop":
        return F.center_crop(image, args["size"])
    if op == "resized_crop":
        return F.resized_crop(image, args["top"], args["left"], args["height"], args["width"], args["size"], interpolation)
    if op == "crop":
        return F.crop(image, args["top"], args["left"], args["height"], args["width"])
    if op == "pad":
        return F.pad(image, args["padding"], args.get("fill", 0), args["mode"])
    if op == "hflip":
        return F.hflip(image)
    if op == "vflip":
        return F.vflip(image)
    if op == "rotate":
        return F.rotate(image, args["angle"], interpolation, fill=args.get("fill"))
    if op == "brightness":
        return F.adjust_brightness(image, args["factor"])
    if op == "contrast":
        return F.adjust_contrast(image, args["factor"])
    if op == "saturation":
        return F.adjust_saturation(image, args["factor"])
    if op == "hue":
        return F.adjust_hue(image, args["factor"])
    if op == "grayscale":
        return F.rgb_to_grayscale(image, args["channels"])
    if op == "augment":
        from torchvision.transforms.autoaugment import _apply_op
        return _apply_op(image, args["name"], args["magnitude"], interpolation=interpolation, fill=None)
    if op == "affine":
        return F.affine(image, args["angle"], args["translate"], args["scale"], args["shear"], interpolation)
    if op == "eval_preset":
        size = args["size"]
        image = F.center_crop(F.resize(image, size * 256 // 224, interpolation), size)
        return F.normalize(F.to_tensor(image), [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]).numpy()
    if op == "to_tensor_normalize":
        return F.normalize(F.to_tensor(image), args["mean"], args["std"]).numpy()
    raise ValueError(f"unknown op {op}")


def save_file(out, spec, images):
    image = images[spec["image"]]
    args = dict(spec.get("args", {}))
    decode_mode = args.pop("decode_mode", "RGB")
    orientation = args.pop("exif_orientation", None)
    if spec["format"] == "GIF" or args.pop("palette", False):
        image = image.convert("P", palette=Image.ADAPTIVE, colors=args.pop("colors", 64))
    if args.pop("alpha", False):
        image = image.convert("RGBA")
        alpha = numpy.array(image)
        alpha[..., 3] = numpy.arange(alpha.shape[1], dtype=numpy.uint8)[None, :] * 7
        image = Image.fromarray(alpha, "RGBA")
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        args["exif"] = exif.tobytes()
    path = os.path.join(out, spec["name"])
    image.save(path, spec["format"], **args)
    with Image.open(path) as decoded:
        upright = ImageOps.exif_transpose(decoded).convert(decode_mode)
        numpy.save(path + ".npy", numpy.asarray(upright))


def main():
    out = sys.argv[1]
    request = json.load(sys.stdin)
    images = {}
    for spec in request.get("images", []):
        image = pattern(spec["width"], spec["height"], spec["mode"], spec["seed"])
        images[spec["name"]] = image
        image.save(os.path.join(out, spec["name"] + ".png"))
        numpy.save(os.path.join(out, spec["name"] + ".npy"), numpy.asarray(image))
    for case in request.get("cases", []):
        result = apply(case["op"], images[case["image"]], case.get("args", {}))
        array = result if isinstance(result, numpy.ndarray) else numpy.asarray(result)
        numpy.save(os.path.join(out, case["id"] + ".npy"), numpy.ascontiguousarray(array))
    for spec in request.get("files", []):
        save_file(out, spec, images)


if __name__ == "__main__":
    main()
