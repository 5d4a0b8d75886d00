#!/usr/bin/python3
"""Reference numbers for VisionLab's training-recipe tests, computed with Debian's PyTorch:
torch.optim (SGD, Adam, AdamW, RMSprop with parameter groups), torch.optim.lr_scheduler,
torch.optim.swa_utils.AveragedModel, torch.nn.utils.clip_grad_norm_ and F.cross_entropy.

Reads one JSON request from stdin:
  {"seed", "steps",
   "parameters": [{"name", "shape"}],                      toy parameters, values drawn here
   "optimizers": [{"id", "settings": {OptimizerSettings, snake_case}, "decay": [bool per parameter],
                   "scale": [float per parameter], "one_cycle": null | {ScheduleSettings}}],
   "schedules":  [{"id", "settings": {ScheduleSettings}, "base_lr", "epochs", "steps_per_epoch", "metrics"}],
   "clip_norms": [float], "label_smoothing": float,
   "ema": [{"id", "decay", "warmup", "average_buffers"}]}
and writes OUT_DIR/reference.json with the drawn inputs and, per case, what torch computed.
Parameter groups: one per distinct (scale, decay) pair, lr = scale * lr, weight_decay = wd or 0.
Schedules: warm-up is LinearLR stepped per batch over warmup_epochs; the main schedule is then
built afresh (SequentialLR semantics) and stepped per epoch (step, multistep, cosine, plateau with
the epoch's metric) or per batch (onecycle).
usage: recipes_reference.py OUT_DIR < request.json
"""
import json, os, sys

import torch
import torch.nn.functional as F
from torch.optim import lr_scheduler
from torch.optim.swa_utils import AveragedModel


def flat(t):
    return t.detach().flatten().tolist()


def build_optimizer(settings, groups):
    name = settings["name"]
    lr = settings["lr"]
    if name == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=settings["momentum"], nesterov=settings["nesterov"])
    if name in ("adam", "adamw"):
        cls = torch.optim.Adam if name == "adam" else torch.optim.AdamW
        return cls(groups, lr=lr, betas=tuple(settings["betas"]), eps=settings["eps"])
    if name == "rmsprop":
        return torch.optim.RMSprop(groups, lr=lr, alpha=settings["alpha"], eps=settings["eps"],
                                   momentum=settings["momentum"], centered=settings["centered"])
    raise ValueError(name)


def optimizer_case(case, names, initial, gradients):
    settings = case["settings"]
    params = [torch.nn.Parameter(initial[n].clone()) for n in names]
    grouped = {}
    for p, decay, scale in zip(params, case["decay"], case["scale"]):
        key = (scale, decay)
        if key not in grouped:
            grouped[key] = {"params": [], "lr": settings["lr"] * scale,
                            "weight_decay": settings["weight_decay"] if decay else 0.0}
        grouped[key]["params"].append(p)
    groups = list(grouped.values())
    optimizer = build_optimizer(settings, groups)
    cycle = None
    if case.get("one_cycle"):
        s = case["one_cycle"]
        # One max_lr per group keeps the groups' scales, as VisionLab's per-parameter scales do.
        cycle = lr_scheduler.OneCycleLR(
            optimizer, max_lr=[s["max_lr"] * g["lr"] / settings["lr"] for g in groups], total_steps=len(gradients),
            pct_start=s["pct_start"], anneal_strategy=s["anneal_strategy"], cycle_momentum=s["cycle_momentum"],
            base_momentum=s["base_momentum"], max_momentum=s["max_momentum"], div_factor=s["div_factor"],
            final_div_factor=s["final_div_factor"], three_phase=s["three_phase"])
    trajectory = []
    for step_gradients in gradients:
        for p, n in zip(params, names):
            p.grad = step_gradients[n].clone()
        optimizer.step()
        if cycle is not None:
            cycle.step()
        trajectory.append({n: flat(p) for p, n in zip(params, names)})
    return trajectory


def momentum_of(group):
    if "betas" in group:
        return group["betas"][0]
    return group.get("momentum", 0.0)


def schedule_case(case):
    s = case["settings"]
    base, epochs, per_epoch = case["base_lr"], case["epochs"], case["steps_per_epoch"]
    metrics = case["metrics"]
    warmup = s["warmup_epochs"]
    rates, momenta = [], []
    if warmup > 0:
        p = torch.nn.Parameter(torch.zeros(1))
        optimizer = torch.optim.SGD([p], lr=base)
        linear = lr_scheduler.LinearLR(optimizer, start_factor=s["warmup_start_factor"], end_factor=1.0,
                                       total_iters=warmup * per_epoch)
        for _ in range(warmup * per_epoch):
            rates.append(optimizer.param_groups[0]["lr"])
            momenta.append(None)
            optimizer.step()
            linear.step()
    main_epochs = epochs - warmup
    p = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([p], lr=base, momentum=0.9)
    name = s["name"]
    per_batch = per_epoch_step = plateau = None
    if name == "step":
        per_epoch_step = lr_scheduler.StepLR(optimizer, step_size=s["step_size"] or max(1, main_epochs // 3), gamma=s["gamma"])
    elif name == "multistep":
        per_epoch_step = lr_scheduler.MultiStepLR(optimizer, milestones=s["milestones"], gamma=s["gamma"])
    elif name == "cosine":
        per_epoch_step = lr_scheduler.CosineAnnealingLR(optimizer, T_max=main_epochs, eta_min=s["min_lr"])
    elif name == "onecycle":
        per_batch = lr_scheduler.OneCycleLR(
            optimizer, max_lr=s["max_lr"] or base, total_steps=epochs * per_epoch, pct_start=s["pct_start"],
            anneal_strategy=s["anneal_strategy"], cycle_momentum=s["cycle_momentum"], base_momentum=s["base_momentum"],
            max_momentum=s["max_momentum"], div_factor=s["div_factor"], final_div_factor=s["final_div_factor"],
            three_phase=s["three_phase"])
    elif name == "plateau":
        plateau = lr_scheduler.ReduceLROnPlateau(
            optimizer, mode=s["mode"], factor=s["factor"], patience=s["patience"], threshold=s["threshold"],
            threshold_mode=s["threshold_mode"], cooldown=s["cooldown"], min_lr=s["min_lr"])
    elif name != "constant":
        raise ValueError(name)
    for epoch in range(main_epochs):
        for _ in range(per_epoch):
            group = optimizer.param_groups[0]
            rates.append(group["lr"])
            momenta.append(momentum_of(group) if name == "onecycle" and s["cycle_momentum"] else None)
            optimizer.step()
            if per_batch is not None:
                per_batch.step()
        if per_epoch_step is not None:
            per_epoch_step.step()
        if plateau is not None:
            plateau.step(metrics[warmup + epoch])
    return {"rates": rates, "momenta": momenta}


def ema_case(case, generator, steps):
    torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=generator)))
    model = torch.nn.Sequential(torch.nn.Linear(5, 4), torch.nn.BatchNorm1d(4))
    initial = {k: flat(v) for k, v in model.state_dict().items()}
    inputs = [torch.randn(8, 5, generator=generator) for _ in range(steps)]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    decay, warmup = case["decay"], case["warmup"]

    def average(averaged, current, num_averaged):
        k = int(num_averaged) - 1
        d = min(decay, (1 + k) / (10 + k)) if warmup else decay
        return d * averaged + (1 - d) * current

    ema = AveragedModel(model, avg_fn=average, use_buffers=case["average_buffers"])
    ema.update_parameters(model)
    for x in inputs:
        optimizer.zero_grad()
        out = model(x)
        (out.pow(2).mean() + 0.1 * out[:, 0].sum()).backward()
        optimizer.step()
        ema.update_parameters(model)
        if not case["average_buffers"]:
            # Buffers follow the live model, as AveragedModel does from torch 2.0 on (1.13 leaves them as built).
            for averaged, live in zip(ema.module.buffers(), model.buffers()):
                averaged.detach().copy_(live)
    return {
        "initial": initial,
        "inputs": [flat(x) for x in inputs],
        "weights": {k: flat(v) for k, v in model.state_dict().items()},
        "average": {k: flat(v) for k, v in ema.module.state_dict().items()},
    }


def main():
    out = sys.argv[1]
    torch.set_num_threads(1)
    request = json.load(sys.stdin)
    generator = torch.Generator().manual_seed(request["seed"])
    names = [p["name"] for p in request["parameters"]]
    initial = {p["name"]: torch.randn(p["shape"], generator=generator) for p in request["parameters"]}
    gradients = [{p["name"]: torch.randn(p["shape"], generator=generator) for p in request["parameters"]}
                 for _ in range(request["steps"])]
    result = {
        "initial": {n: flat(initial[n]) for n in names},
        "gradients": [{n: flat(g[n]) for n in names} for g in gradients],
        "optimizers": {c["id"]: optimizer_case(c, names, initial, gradients) for c in request["optimizers"]},
        "schedules": {c["id"]: schedule_case(c) for c in request["schedules"]},
    }

    clipped = []
    for max_norm in request["clip_norms"]:
        params = [torch.nn.Parameter(initial[n].clone()) for n in names]
        for p, n in zip(params, names):
            p.grad = gradients[0][n].clone()
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
        clipped.append({"max_norm": max_norm, "norm": float(norm), "gradients": {n: flat(p.grad) for p, n in zip(params, names)}})
    result["clipping"] = clipped

    smoothing = request["label_smoothing"]
    logits = torch.randn(6, 5, generator=generator)
    hard = torch.randint(0, 5, (6,), generator=generator)
    soft = torch.softmax(torch.randn(6, 5, generator=generator) * 2, dim=1)
    entropy = {"logits": flat(logits), "hard": hard.tolist(), "soft": flat(soft), "smoothing": smoothing}
    for kind, target in (("hard", hard), ("soft", soft)):
        x = logits.clone().requires_grad_(True)
        loss = F.cross_entropy(x, target, label_smoothing=smoothing)
        loss.backward()
        entropy[kind + "_loss"] = float(loss)
        entropy[kind + "_gradient"] = flat(x.grad)
    result["cross_entropy"] = entropy

    result["ema"] = {c["id"]: ema_case(c, generator, request["steps"]) for c in request["ema"]}

    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
