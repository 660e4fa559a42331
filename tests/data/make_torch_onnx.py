#!/usr/bin/python3
"""Oracle for the ONNX importer: small PyTorch MLPs exported by torch.onnx.export, with golden
input/output pairs computed by PyTorch itself, so tests/formats/onnx_test.cpp can check that our
import + evaluation reproduces what the framework computes (not just what our exporter wrote).

Run with Debian's interpreter (needs python3-torch and python3-onnx):
    /usr/bin/python3 tests/data/make_torch_onnx.py
Outputs land beside this script: torch_<name>.onnx and torch_<name>.csv (header, then one row per
sample: inputs x0.. then outputs y0.., each printed with repr so the floats are exact).
Seeds are fixed; re-running reproduces the files (up to exporter version differences).
"""
import os

import onnx
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
N_IN, N_HIDDEN, N_OUT, N_SAMPLES = 8, 16, 4, 20


class Plain(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(N_IN, N_HIDDEN), torch.nn.ReLU(),
            torch.nn.Linear(N_HIDDEN, N_HIDDEN), torch.nn.ReLU(),
            torch.nn.Linear(N_HIDDEN, N_OUT))

    def forward(self, x):
        return self.net(x)


class WithBatchNorm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(N_IN, N_HIDDEN)
        self.bn = torch.nn.BatchNorm1d(N_HIDDEN, eps=1e-3)
        self.fc2 = torch.nn.Linear(N_HIDDEN, N_OUT)
        # Non-trivial running statistics: default ones (0 and 1) would hide a swapped or
        # ignored parameter.
        with torch.no_grad():
            self.bn.running_mean.uniform_(-0.5, 0.5)
            self.bn.running_var.uniform_(0.2, 2.0)
            self.bn.weight.uniform_(0.5, 1.5)
            self.bn.bias.uniform_(-0.3, 0.3)

    def forward(self, x):
        return self.fc2(torch.relu(self.bn(self.fc1(x))))


class WithNormalisation(torch.nn.Module):
    """(x - m) / s written as tensor ops so the export holds Sub and Div nodes."""

    def __init__(self):
        super().__init__()
        self.register_buffer("m", torch.rand(N_IN) * 2 - 1)
        self.register_buffer("s", torch.rand(N_IN) + 0.5)
        self.fc1 = torch.nn.Linear(N_IN, N_HIDDEN)
        self.fc2 = torch.nn.Linear(N_HIDDEN, N_OUT)

    def forward(self, x):
        x = (x - self.m) / self.s
        return self.fc2(torch.relu(self.fc1(x)))


def export(name, model, seed):
    torch.manual_seed(seed)
    model.eval()
    x = torch.randn(N_SAMPLES, N_IN) * 2
    with torch.no_grad():
        y = model(x)
    path = os.path.join(HERE, f"torch_{name}.onnx")
    torch.onnx.export(model, x[:1], path, opset_version=13, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    ops = [n.op_type for n in onnx.load(path).graph.node]
    with open(os.path.join(HERE, f"torch_{name}.csv"), "w") as f:
        f.write(",".join([f"x{i}" for i in range(N_IN)] + [f"y{i}" for i in range(N_OUT)]) + "\n")
        for xi, yi in zip(x.tolist(), y.tolist()):
            f.write(",".join(repr(v) for v in xi + yi) + "\n")
    print(f"{path}: {' '.join(ops)}")


def main():
    torch.manual_seed(1)
    export("plain", Plain(), 11)
    torch.manual_seed(2)
    export("batchnorm", WithBatchNorm(), 12)
    torch.manual_seed(3)
    export("normalise", WithNormalisation(), 13)


if __name__ == "__main__":
    main()
