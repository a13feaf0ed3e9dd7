"""The built wheel maps cli/ to ganmetrics.cli and installs no bare top-level `cli` module."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_layout_and_entry_point(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = tmp_path.glob("ganmetrics-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "ganmetrics/cli/main.py" in names and "ganmetrics/features/inception.py" in names
    assert not any(n.startswith("cli/") for n in names)
    # every subpackage of the source tree is in the wheel, and the reference manifest with it
    for init in (ROOT / "ganmetrics").rglob("__init__.py"):
        assert init.relative_to(ROOT).as_posix() in names, init
    assert "ganmetrics/reference_stats/manifest.toml" in names
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "ganmetrics = ganmetrics.cli:main" in entry_points
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    out = subprocess.run([sys.executable, "-c", "import ganmetrics.cli, sys; print(ganmetrics.cli.__file__)"],
                         capture_output=True, text=True, env={"PYTHONPATH": str(unpacked)}, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(unpacked / "ganmetrics" / "cli" / "__init__.py")
