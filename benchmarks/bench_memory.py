"""Peak memory of `ganmetrics stats` for N and 10·N images: streaming statistics keep it flat.

Each run is a separate process (`python -m ganmetrics stats folder -o out.npz`), its peak RSS
read from wait4 (the largest resident set of the process and its decoding workers, each
counted alone); the folder holds synthetic 32x32 PNGs.

    python benchmarks/bench_memory.py --n 1000                       # 1,000 and 10,000 images, Inception
    python benchmarks/bench_memory.py --n 10000 --network stand-in   # 10,000 and 100,000 images
    python benchmarks/bench_memory.py --n 100 --layout both          # channels_last and NCHW side by side

``--network stand-in`` swaps only the network: the same command (folder listing, decoding
workers, the tf1 resize to 299x299, batching, float64 streaming statistics over d = 2048,
the atomic .npz write) runs with a cheap fixed network in place of Inception-v3 (16x16 average
pooled pixels, a random projection to 2048 with ReLU, a 1008-way fc). It is for the 100,000-image
load test on machines where Inception runs at a few images per second; Inception's own memory
does not depend on N (one batch at a time), which the Inception rows show.
"""
from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def run(cmd) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


class PixelProjection(torch.nn.Module):
    """The stand-in network: (pool3-like 2048-d features, 1008 logits) from pixels, cheaply."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.proj, self.fc = torch.nn.Linear(3 * 16 * 16, 2048), torch.nn.Linear(2048, 1008)

    def forward(self, x):
        features = torch.relu(self.proj(torch.nn.functional.adaptive_avg_pool2d(x, 16).flatten(1)))
        return features, self.fc(features)


def stand_in_stats(argv: list[str]) -> None:
    """``ganmetrics stats`` with the stand-in registered under the default extractor's name."""
    from ganmetrics import features
    from ganmetrics.cli import main as cli

    def load(weights=None, device="auto", resize=features.DEFAULT_RESIZE, channels_last=False):
        model = PixelProjection().eval().requires_grad_(False)
        return features.Extractor("stand-in-pixel-projection", model, resize, features.resolve_device(device),
                                  "none", {"pool3": 2048, "logits": 1008, "logits_unbiased": 1008})

    features.REGISTRY[features.DEFAULT_EXTRACTOR] = load
    cli(["stats", *argv], prog_name="ganmetrics")


def main() -> None:
    if sys.argv[1:2] == ["--stand-in-child"]:
        return stand_in_stats(sys.argv[2:])
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=50)
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--network", choices=["inception", "stand-in"], default="inception")
    p.add_argument("--layout", choices=["channels_last", "nchw", "both"], default="channels_last",
                   help="Inception's memory layout (both: each N with each layout, side by side)")
    args = p.parse_args()
    from helpers import write_random_weights
    work = Path(tempfile.mkdtemp(prefix="bench_memory_"))
    weights = write_random_weights(work / "w.pth")
    print(f"machine: {os.cpu_count()} CPU cores ({platform.machine()}); {args.size}x{args.size} PNGs, "
          f"batch 50, {args.workers} workers, CPU, network: {args.network}")
    print("| images | layout | wall s | images/s | peak RSS MiB |")
    print("|---:|---|---:|---:|---:|")
    layouts = ["channels_last", "nchw"] if args.layout == "both" else [args.layout]
    for n in (args.n, 10 * args.n):
        subprocess.run([sys.executable, str(HERE / "make_images.py"), str(work / f"d{n}"), "--n", str(n), "--size",
                        str(args.size), "--real-only"], check=True, stdout=subprocess.DEVNULL)
        command = ([sys.executable, "-m", "ganmetrics", "stats"] if args.network == "inception" else
                   [sys.executable, str(Path(__file__).resolve()), "--stand-in-child"])
        for layout in layouts:
            flag = "--channels-last" if layout == "channels_last" else "--no-channels-last"
            wall, rss = run(command + [str(work / f"d{n}" / "real"), "-o", str(work / f"s{n}.npz"), "--weights",
                                       str(weights), "--device", "cpu", "--quiet", "--workers", str(args.workers),
                                       flag])
            print(f"| {n} | {layout} | {wall:.1f} | {n / wall:.1f} | {rss:.0f} |", flush=True)


if __name__ == "__main__":
    main()
