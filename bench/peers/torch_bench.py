"""PyTorch peer of `npm run bench` (bench/suite.ts): runs one task and prints one JSON line.

    python3 bench/peers/torch_bench.py '{"task": {...}, "impl": "torch-1t", "threads": 1, "timing": {...}}'
    python3 bench/peers/torch_bench.py --probe     # prints torch's version and build, or fails

The same work as Recur's side (bench/workloads/recur.ts): nn.Embedding -> nn.LSTM / nn.GRU ->
nn.Linear -> F.cross_entropy (mean) -> backward -> torch.optim.Adam(lr, (0.9, 0.999), 1e-8),
PyTorch's default initial distributions (which Recur follows), zero initial state, and the same
data (the xorshift32 stream of bench/workloads/spec.ts). Inference: nn.LSTM under
torch.inference_mode(). Timing follows bench/workloads/timing.ts: warm-up, then the median of at
least `minSteps` steps. Only the Python standard library and torch are used.
"""

import json
import math
import os
import resource
import sys
import time


def blas_loaded(torch):
    """The BLAS library this process actually loaded (Linux: from /proc/self/maps), e.g.
    'blas/libblas.so.3' (Debian's reference BLAS) or 'openblas-pthread/libblas.so.3'."""
    torch.ones(8, 8) @ torch.ones(8, 8)
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line or "mkl" in line}
    except OSError:
        return "?"
    return ", ".join(sorted("/".join(p.split("/")[-2:]) for p in paths if p.startswith("/"))) or "none"


def probe(torch):
    cfg = torch.__config__.show()
    blas = next((p.split("=", 1)[1] for p in cfg.replace(",", "\n").split() if p.startswith("BLAS_INFO=")), "?")
    return {
        "version": torch.__version__,
        "blasBuild": blas,
        "blasLoaded": blas_loaded(torch),
        "mkldnn": torch.backends.mkldnn.is_available(),
    }


class DataRng:
    """xorshift32, as DataRng in bench/workloads/spec.ts."""

    def __init__(self, seed):
        self.x = (seed & 0xFFFFFFFF) or 1

    def next(self):
        x = self.x
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        self.x = x
        return x


DATA_SEED = 1234
DATA_BATCHES = 4


def lm_batches(torch, t):
    rng = DataRng(DATA_SEED)
    T, B = t["seqLen"], t["batch"]
    out = []
    for _ in range(DATA_BATCHES):
        stream = [rng.next() % t["vocab"] for _ in range((T + 1) * B)]
        ids = torch.tensor(stream[: T * B], dtype=torch.long).view(T, B)
        target = torch.tensor(stream[B:], dtype=torch.long)
        out.append((ids, target))
    return out


def infer_input(torch, t):
    rng = DataRng(DATA_SEED)
    n = t["seqLen"] * t["batch"] * t["input"]
    x = [rng.next() / 4294967296 * 2 - 1 for _ in range(n)]
    return torch.tensor(x, dtype=torch.float32).view(t["seqLen"], t["batch"], t["input"])


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def time_steps(step, o):
    """Mirrors timeSteps() in bench/workloads/timing.ts."""
    w0 = time.perf_counter()
    warm = 0
    last = 0.0
    need = max(1, min(o["warmup"], 2))
    while True:
        el = (time.perf_counter() - w0) * 1000
        if warm >= need and (warm >= o["warmup"] or el > 5000) and (el >= o["warmupMs"] or warm >= 50):
            break
        s = time.perf_counter()
        step()
        last = (time.perf_counter() - s) * 1000
        warm += 1
    est = max(last, 1e-3)
    budget = o["maxSeconds"] * 1000
    steps = max(o["minSteps"], min(2000, math.ceil(o["targetSeconds"] * 1000 / est)))
    if est * steps > budget:
        steps = max(o["minSteps"], math.floor(budget / est))
    capped = False
    if est * o["minSteps"] > budget:
        steps = max(min(3, o["minSteps"]), math.floor(budget / est))
        capped = steps < o["minSteps"]
    times, phases = [], {}
    for _ in range(steps):
        s = time.perf_counter()
        ph = step()
        times.append((time.perf_counter() - s) * 1000)
        for k, v in (ph or {}).items():
            phases.setdefault(k, []).append(v)
    out = {"medianMs": median(times), "steps": steps, "warmup": warm, "capped": capped}
    if phases:
        out["phases"] = {k: median(v) for k, v in phases.items()}
    return out


def train_step(torch, t):
    nn = torch.nn
    torch.manual_seed(7)
    embed = nn.Embedding(t["vocab"], t["embed"])
    cls = nn.LSTM if t["cell"] == "LSTM" else nn.GRU
    rnn = cls(t["embed"], t["hidden"], num_layers=t["layers"])
    head = nn.Linear(t["hidden"], t["vocab"])
    params = [*embed.parameters(), *rnn.parameters(), *head.parameters()]
    opt = torch.optim.Adam(params, lr=t["lr"], betas=(0.9, 0.999), eps=1e-8)
    data = lm_batches(torch, t)
    T, B, H = t["seqLen"], t["batch"], t["hidden"]
    k = [0]

    def step():
        ids, target = data[k[0] % DATA_BATCHES]
        k[0] += 1
        t0 = time.perf_counter()
        out, _ = rnn(embed(ids))
        logits = head(out.reshape(T * B, H))
        loss = torch.nn.functional.cross_entropy(logits, target)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        opt.zero_grad(set_to_none=True)
        t3 = time.perf_counter()
        if not math.isfinite(loss.item()):
            raise RuntimeError("the loss is not finite")
        return {"forward": (t1 - t0) * 1000, "backward": (t2 - t1) * 1000, "optimizer": (t3 - t2) * 1000}

    return step


def infer_step(torch, t):
    torch.manual_seed(7)
    lstm = torch.nn.LSTM(t["input"], t["hidden"]).eval()
    x = infer_input(torch, t)

    def step():
        with torch.inference_mode():
            y, _ = lstm(x)
        if not math.isfinite(float(y[0, 0, 0])):
            raise RuntimeError("the output is not finite")

    return step


def blas_name(loaded):
    if "openblas" in loaded:
        return "OpenBLAS"
    if "mkl" in loaded:
        return "MKL"
    if "blas/libblas" in loaded:
        return "reference BLAS (Debian libblas3)"
    return loaded


def main():
    probing = sys.argv[1:] == ["--probe"]
    spec = None if probing else json.loads(sys.argv[1])
    if spec:
        # A BLAS that runs its own threads (OpenBLAS, MKL) reads these when torch loads it.
        for var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, str(spec["threads"]))
    import torch

    if probing:
        print(json.dumps(probe(torch)))
        return
    t, threads = spec["task"], spec["threads"]
    torch.set_num_threads(threads)
    step = train_step(torch, t) if t["kind"] == "train" else infer_step(torch, t)
    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    timing = time_steps(step, spec["timing"])
    info = {**probe(torch), "threads": torch.get_num_threads()}
    tokens = t["seqLen"] * t["batch"]
    value = timing["medianMs"] if t["metric"] == "ms/seq" else tokens / timing["medianMs"] * 1000
    result = {
        "type": "result",
        "workload": t["workload"],
        "task": t["task"],
        "impl": spec["impl"],
        "metric": t["metric"],
        "value": value,
        **timing,
        "peakRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "startRssMB": start_rss,
        "info": info,
        "note": blas_name(info["blasLoaded"]),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
