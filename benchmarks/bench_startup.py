"""CLI start-up: wall time of `ganmetrics --version`, `ganmetrics --help` and some commands'
`--help` (all torch-free since 2026-11-30), median of --repeats runs each, plus the CPU time of
the process (user + sys, less sensitive to other load on a shared machine), and for scale the
time to import torch.

    python benchmarks/bench_startup.py --repeats 10
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time


def measure(args: list[str], repeats: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, *args], check=True, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=10)
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    print(f"{'command':<28}{'wall (median)':>15}{'CPU (median)':>15}")
    for cmd in (["--version"], ["--help"], ["fid", "--help"], ["compare", "--help"], ["train", "--help"],
                ["wasserstein", "--help"]):
        wall, cpu = measure(["-m", "ganmetrics", *cmd], args.repeats)
        print(f"{'ganmetrics ' + ' '.join(cmd):<28}{wall:>14.3f}s{cpu:>14.3f}s")
    wall, cpu = measure(["-c", "import torch"], args.repeats)
    label = 'python -c "import torch"'
    print(f"{label:<28}{wall:>14.3f}s{cpu:>14.3f}s")


if __name__ == "__main__":
    main()
