"""End-to-end `ganmetrics fid` against `python -m pytorch_fid`, side by side in one run.

Both tools read the same two folders with the same weights file (a seeded random file in
pytorch-fid's format unless --weights names the real one), on the same device; ganmetrics runs
in ``--resize pytorch-fid`` mode so that the two FIDs must agree, and in its default ``tf1`` mode.
Reports wall time, images/s (over both folders), peak RSS of the process, and the FID values.

    python benchmarks/bench_fid.py --n 500 --size 64 --device cpu
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def timed(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """Run cmd; return (wall seconds, peak RSS in MiB of that process tree's largest process, stdout)."""
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        text = out.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{text}")
    return wall, usage.ru_maxrss / 1024, text


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=500, help="images per folder")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--device", default="cpu")
    p.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    p.add_argument("--weights", type=Path, help="real pt_inception-2015-12-05-6726825d.pth (default: random)")
    args = p.parse_args()

    import torch
    from helpers import write_random_weights

    work = Path(tempfile.mkdtemp(prefix="bench_fid_"))
    subprocess.run([sys.executable, str(HERE / "make_images.py"), str(work / "data"), "--n", str(args.n),
                    "--size", str(args.size)], check=True, stdout=subprocess.DEVNULL)
    hub = work / "torch" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    weights = hub / "pt_inception-2015-12-05-6726825d.pth"  # where pytorch-fid's torch.hub looks
    if args.weights:
        weights.write_bytes(args.weights.read_bytes())
    else:
        write_random_weights(weights, seed=0)
    env = {**os.environ, "TORCH_HOME": str(work / "torch")}
    real, fake = str(work / "data" / "real"), str(work / "data" / "fake")

    runs = {
        "pytorch-fid 0.3.0": [sys.executable, "-m", "pytorch_fid", real, fake, "--device", args.device,
                              "--batch-size", "50", "--num-workers", str(args.workers)],
        "ganmetrics --resize pytorch-fid": [sys.executable, "-m", "ganmetrics", "fid", real, fake, "--weights",
                                            str(weights), "--device", args.device, "--resize", "pytorch-fid",
                                            "--workers", str(args.workers), "--quiet"],
        "ganmetrics (default tf1)": [sys.executable, "-m", "ganmetrics", "fid", real, fake, "--weights",
                                     str(weights), "--device", args.device, "--workers", str(args.workers),
                                     "--quiet"],
    }
    rows = []
    for name, cmd in runs.items():
        wall, rss, text = timed(cmd, env)
        fid = float(re.search(r"FID:\s*([-0-9.eE+]+)", text).group(1))
        rows.append((name, wall, 2 * args.n / wall, rss, fid))

    cpu = platform.processor() or platform.machine()
    print(f"machine: {os.cpu_count()} CPU cores ({cpu}), device={args.device}, torch {torch.__version__}; "
          f"{args.n} + {args.n} PNGs at {args.size}x{args.size}, batch 50, {args.workers} workers, "
          f"{'real' if args.weights else 'random'} weights")
    base = rows[0][1]
    print("| tool | wall s | images/s | peak RSS MiB | FID | time vs pytorch-fid |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, wall, ips, rss, fid in rows:
        print(f"| {name} | {wall:.1f} | {ips:.1f} | {rss:.0f} | {fid:.4f} | {wall / base:.2f}x |")


if __name__ == "__main__":
    main()
