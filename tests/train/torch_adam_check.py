"""PyTorch side of tests/train/torch_crosscheck_test.cpp: replays k Adam steps from the same
initial weights and batches (float64) and writes the final weights and running statistics.
usage: torch_adam_check.py IN.json OUT.json"""
import json
import sys

import torch

cfg = json.load(open(sys.argv[1]))
torch.set_default_dtype(torch.float64)
modules, weights = [], []
for layer in cfg["layers"]:
    if layer["kind"] == "Dense":
        W = torch.tensor(layer["W"])
        m = torch.nn.Linear(W.shape[1], W.shape[0])
        with torch.no_grad():
            m.weight.copy_(W)
            m.bias.copy_(torch.tensor(layer["b"]))
        weights.append(m.weight)
    elif layer["kind"] == "BatchNorm":
        n = len(layer["gamma"])
        m = torch.nn.BatchNorm1d(n, eps=layer["eps"], momentum=cfg["momentum"])
        with torch.no_grad():
            m.weight.copy_(torch.tensor(layer["gamma"]))
            m.bias.copy_(torch.tensor(layer["beta"]))
            m.running_mean.copy_(torch.tensor(layer["mean"]))
            m.running_var.copy_(torch.tensor(layer["var"]))
    else:
        m = torch.nn.ReLU()
    modules.append(m)
net = torch.nn.Sequential(*modules)
net.train()
others = [p for p in net.parameters() if all(p is not w for w in weights)]
opt = torch.optim.Adam(
    [{"params": weights, "weight_decay": cfg["weight_decay"]}, {"params": others, "weight_decay": 0.0}],
    lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"])
class_weights = torch.tensor(cfg["class_weights"]) if cfg["class_weights"] else None
loss_fn = torch.nn.CrossEntropyLoss(weight=class_weights)
for batch in cfg["batches"]:
    X = torch.tensor(batch["X"])  # samples x features (row per sample)
    y = torch.tensor(batch["labels"], dtype=torch.long)
    opt.zero_grad()
    loss = loss_fn(net(X), y)
    loss.backward()
    # A Linear bias feeding a train-mode BatchNorm has exact gradient 0 (the batch mean cancels
    # it); nncert uses the exact 0, so drop the rounding noise Adam would otherwise amplify.
    for prev, nxt in zip(net, list(net)[1:]):
        if isinstance(prev, torch.nn.Linear) and isinstance(nxt, torch.nn.BatchNorm1d):
            prev.bias.grad.zero_()
    if cfg["slim_l1"] > 0:  # network slimming's subgradient on the BatchNorm gammas
        for m in net:
            if isinstance(m, torch.nn.BatchNorm1d):
                m.weight.grad.add_(cfg["slim_l1"] * torch.sign(m.weight.detach()))
    opt.step()

out = []
for m in net:
    if isinstance(m, torch.nn.Linear):
        out.append({"kind": "Dense", "W": m.weight.tolist(), "b": m.bias.tolist()})
    elif isinstance(m, torch.nn.BatchNorm1d):
        out.append({"kind": "BatchNorm", "gamma": m.weight.tolist(), "beta": m.bias.tolist(),
                    "mean": m.running_mean.tolist(), "var": m.running_var.tolist()})
    else:
        out.append({"kind": "ReLU"})
json.dump({"layers": out}, open(sys.argv[2], "w"))
