"""End-to-end `ganmetrics fid` against `python -m pytorch_fid` and torch-fidelity's `fidelity --fid`,
side by side in one run.

Every tool reads the same two folders with the same weights file (a seeded random file in
pytorch-fid's format, which torch-fidelity also reads, unless --weights names the real one), on
the same device. Equal numerics are compared pairwise: ganmetrics ``--resize pytorch-fid``
against pytorch-fid, ganmetrics' default ``tf1`` (the TF-1 graph's resize) against
torch-fidelity. Reports wall time (process start to exit, model loading included), images/s
(over both folders), peak RSS of the process, the FID values, and the speed-up over the peer
with equal numerics.

    python benchmarks/bench_fid.py --n 500 --sizes 32 256 --device cpu
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
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
    p.add_argument("--sizes", type=int, nargs="+", default=[32, 256], help="image sizes, one table each")
    p.add_argument("--device", default="cpu")
    p.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    p.add_argument("--weights", type=Path, help="real pt_inception-2015-12-05-6726825d.pth (default: random)")
    args = p.parse_args()

    import torch
    from helpers import write_random_weights

    for size in args.sizes:
        bench_size(args, size, torch, write_random_weights)


def bench_size(args, size: int, torch, write_random_weights) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench_fid_"))
    try:
        _bench_size(args, size, torch, write_random_weights, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)  # images, weights and any cache: hundreds of MB per size


def _bench_size(args, size: int, torch, write_random_weights, work: Path) -> None:
    subprocess.run([sys.executable, str(HERE / "make_images.py"), str(work / "data"), "--n", str(args.n),
                    "--size", str(size)], check=True, stdout=subprocess.DEVNULL)
    hub = work / "torch" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    weights = hub / "pt_inception-2015-12-05-6726825d.pth"  # where pytorch-fid's torch.hub looks
    if args.weights:
        weights.write_bytes(args.weights.read_bytes())
    else:
        write_random_weights(weights, seed=0)
    env = {**os.environ, "TORCH_HOME": str(work / "torch"), "GANMETRICS_CACHE": str(work / "cache")}
    real, fake = str(work / "data" / "real"), str(work / "data" / "fake")
    device = ["--cpu"] if args.device == "cpu" else ["--gpu", args.device.partition(":")[2] or "0"]

    runs = {  # name: (command, FID regex, the peer with equal numerics)
        "pytorch-fid 0.3.0": ([sys.executable, "-m", "pytorch_fid", real, fake, "--device", args.device,
                               "--batch-size", "50", "--num-workers", str(args.workers)], r"FID:\s*(\S+)", None),
        "torch-fidelity 0.4.0": (["fidelity", "--fid", "--input1", real, "--input2", fake, "--batch-size", "50",
                                  "--feature-extractor-weights-path", str(weights), "--no-cache", *device],
                                 r"frechet_inception_distance:\s*(\S+)", None),
        "ganmetrics --resize pytorch-fid": ([sys.executable, "-m", "ganmetrics", "fid", real, fake, "--weights",
                                             str(weights), "--device", args.device, "--resize", "pytorch-fid",
                                             "--workers", str(args.workers), "--quiet"], r"FID:\s*(\S+)",
                                            "pytorch-fid 0.3.0"),
        "ganmetrics (default tf1)": ([sys.executable, "-m", "ganmetrics", "fid", real, fake, "--weights",
                                      str(weights), "--device", args.device, "--workers", str(args.workers),
                                      "--quiet"], r"FID:\s*(\S+)", "torch-fidelity 0.4.0"),
    }
    rows = {}
    for name, (cmd, pattern, peer) in runs.items():
        wall, rss, text = timed(cmd, env)
        rows[name] = (wall, 2 * args.n / wall, rss, float(re.search(pattern, text).group(1)), peer)

    cpu = platform.processor() or platform.machine()
    print(f"machine: {os.cpu_count()} CPU cores ({cpu}), device={args.device}, torch {torch.__version__}; "
          f"{args.n} + {args.n} PNGs at {size}x{size}, batch 50, {args.workers} workers, "
          f"{'real' if args.weights else 'random'} weights")
    print("| tool | wall s | images/s | peak RSS MiB | FID | speed-up over the peer with equal numerics |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (wall, ips, rss, fid, peer) in rows.items():
        versus = f"{rows[peer][0] / wall:.2f}x vs {peer} (FID {rows[peer][3]:.4f})" if peer else ""
        print(f"| {name} | {wall:.1f} | {ips:.1f} | {rss:.0f} | {fid:.4f} | {versus} |", flush=True)


if __name__ == "__main__":
    main()
