"""PyTorch side of bench_train: trains the same MLP (Linear + BatchNorm1d + ReLU, Adam, batch B,
T threads) on Fashion-MNIST and prints one JSON line per epoch with seconds and test accuracy.
usage: torch_train.py DATA_DIR ARCH BATCH THREADS EPOCHS SEED"""
import gzip
import json
import sys
import time

import numpy as np
import torch

data_dir, arch, batch, threads, epochs, seed = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
torch.set_num_threads(threads)
torch.manual_seed(seed)


def idx(name, offset):
    with gzip.open(f"{data_dir}/{name}", "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


X = torch.tensor(idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784), dtype=torch.float32) / 255
y = torch.tensor(idx("train-labels-idx1-ubyte.gz", 8), dtype=torch.long)
Xt = torch.tensor(idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784), dtype=torch.float32) / 255
yt = torch.tensor(idx("t10k-labels-idx1-ubyte.gz", 8), dtype=torch.long)

widths = [int(w) for w in arch.split(":")]
layers = []
for i in range(1, len(widths)):
    layers.append(torch.nn.Linear(widths[i - 1], widths[i]))
    if i + 1 < len(widths):
        layers += [torch.nn.BatchNorm1d(widths[i]), torch.nn.ReLU()]
net = torch.nn.Sequential(*layers)
opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
loss_fn = torch.nn.CrossEntropyLoss()
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=batch, shuffle=True)
for epoch in range(epochs):
    net.train()
    t0 = time.perf_counter()
    for xb, yb in loader:
        opt.zero_grad()
        loss_fn(net(xb), yb).backward()
        opt.step()
    seconds = time.perf_counter() - t0
    net.eval()
    with torch.no_grad():
        acc = (net(Xt).argmax(1) == yt).float().mean().item()
    print(json.dumps({"epoch": epoch + 1, "seconds": seconds, "test_accuracy": acc}), flush=True)
