"""Peak memory of `ganmetrics stats` for N and 10·N images: streaming statistics keep it flat.

Each run is a separate process (`python -m ganmetrics stats folder -o out.npz`), its peak RSS
read from wait4; the folder holds synthetic 32x32 PNGs.

    python benchmarks/bench_memory.py --n 50
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def run(cmd) -> tuple[float, float]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=50)
    p.add_argument("--size", type=int, default=32)
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    from helpers import write_random_weights
    work = Path(tempfile.mkdtemp(prefix="bench_memory_"))
    weights = write_random_weights(work / "w.pth")
    print(f"machine: {os.cpu_count()} CPU cores ({platform.machine()}); {args.size}x{args.size} PNGs, "
          f"batch 50, {args.workers} workers, CPU")
    print("| images | wall s | images/s | peak RSS MiB |")
    print("|---:|---:|---:|---:|")
    for n in (args.n, 10 * args.n):
        subprocess.run([sys.executable, str(HERE / "make_images.py"), str(work / f"d{n}"), "--n", str(n), "--size",
                        str(args.size)], check=True, stdout=subprocess.DEVNULL)
        wall, rss = run([sys.executable, "-m", "ganmetrics", "stats", str(work / f"d{n}" / "real"), "-o",
                         str(work / f"s{n}.npz"), "--weights", str(weights), "--device", "cpu", "--quiet",
                         "--workers", str(args.workers)])
        print(f"| {n} | {wall:.1f} | {n / wall:.1f} | {rss:.0f} |")


if __name__ == "__main__":
    main()
