"""benchmarks/gpu_check.py runs end to end on the CPU (tiny sizes), so the GPU script cannot rot."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_check.py"


@pytest.mark.slow
def test_gpu_check_runs_on_the_cpu(tmp_path):
    cmd = [sys.executable, str(SCRIPT), "--device", "cpu", "--n", "2", "--size", "32", "--batch-sizes", "2",
           "--fr-dim", "32", "--workers", "0", "--repeats", "1", "--nproc", "2"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = {}
    for line in done.stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("check", "---"):
            rows[cells[0]] = cells[1:]
    assert len(rows) == 14, done.stdout
    # the same device and layout: identical; channels_last: float32 rounding only; no TF32 on a CPU
    assert float(rows["pool3 on cpu vs cpu NCHW: NCHW, TF32 off"][0]) == 0.0
    assert float(rows["pool3 on cpu vs cpu NCHW: NCHW, TF32 on"][0]) == 0.0
    assert float(rows["pool3 on cpu vs cpu NCHW: channels_last, TF32 off"][0]) < 1e-4
    fid_off, fid_on = (float(v) for v in rows["FID TF32 off / on"][0].split(" / "))
    assert fid_off == fid_on > 0
    for tool in ("ganmetrics (channels_last)", "ganmetrics (NCHW)", "pytorch-fid", "torch-fidelity"):
        at50, best = (float(v) for v in rows[f"images/s {tool}: batch 50 / best"][0].split(" / "))
        assert 0 < at50 <= best
    fr = rows["Fréchet step (Cholesky, float64, d=32): cpu / cpu seconds"]
    assert float(re.search(r"relative difference (\S+);", fr[1]).group(1)) < 1e-12
    fid_inf = rows["FID_inf (160 x 32 features): cpu / cpu seconds"]
    assert float(re.search(r"relative difference (\S+)", fid_inf[1]).group(1)) < 1e-10
    assert rows["P/R/D/C, 10 half-samples of 160 x 32: cpu / cpu seconds"][1] == "replicates identical"
    run = rows["torchrun 2 x gloo / 1 process: stats wall s"][1]
    assert "n 2 / 2" in run
    assert float(re.search(r"mu (\S+),", run).group(1)) < 1e-4
    assert float(re.search(r"sigma (\S+) ", run).group(1)) < 1e-3
