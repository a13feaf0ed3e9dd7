"""The CLI end to end: output formats, stats files, and one-line errors with exit code 2."""
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import ganmetrics
from ganmetrics import GaussianStats
from helpers import assert_one_line_error, run


@pytest.fixture(scope="module")
def fid_value(image_sets, weights_file):
    return ganmetrics.fid(image_sets["real"], image_sets["fake"], weights=weights_file, device="cpu", workers=0).value


def test_fid_text_and_json(image_sets, weights_file, fid_value):
    r = run("fid", image_sets["real"], image_sets["fake"], "--weights", weights_file, "--workers", "0")
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == f"FID: {fid_value:.4f}"
    r = run("fid", image_sets["real"], image_sets["fake"], "--weights", weights_file, "--json", "--batch-size", "5")
    out = json.loads(r.stdout)
    assert out["fid"] == pytest.approx(fid_value, rel=1e-6)
    assert (out["n_a"], out["n_b"], out["resize"], out["extractor"]) == (12, 12, "tf1", "inception-v3-fid")


def test_stats_then_fid_against_stats(image_sets, weights_file, fid_value, tmp_path):
    out = tmp_path / "real.npz"
    r = run("stats", image_sets["real"], "-o", out, "--weights", weights_file, "--workers", "0")
    assert r.exit_code == 0, r.output
    s = GaussianStats.load(out)
    assert s.n == 12 and s.metadata["resize"] == "tf1" and s.metadata["ganmetrics_version"] == ganmetrics.__version__
    r = run("fid", out, image_sets["fake"], "--weights", weights_file, "--json", "--workers", "0")
    assert json.loads(r.stdout)["fid"] == pytest.approx(fid_value, rel=1e-6)
    # from stats alone no weights are needed
    r2 = run("stats", image_sets["fake"], "-o", tmp_path / "fake.npz", "--weights", weights_file, "--workers", "0")
    assert r2.exit_code == 0
    r = run("fid", out, tmp_path / "fake.npz", "--json")
    assert json.loads(r.stdout)["fid"] == pytest.approx(fid_value, rel=1e-6)


def test_array_input_equals_folder_input(image_sets, weights_file, fid_value, tmp_path):
    np.save(tmp_path / "fake.npy", image_sets["fake_array"])
    value = ganmetrics.fid(image_sets["real_array"], tmp_path / "fake.npy", weights=weights_file, device="cpu").value
    assert value == pytest.approx(fid_value, rel=1e-6)


def test_mismatched_resize_is_refused_unless_forced(image_sets, weights_file, tmp_path):
    out = tmp_path / "pt.npz"
    assert run("stats", image_sets["real"], "-o", out, "--weights", weights_file, "--resize", "pytorch-fid",
               "--workers", "0").exit_code == 0
    r = run("fid", out, image_sets["fake"], "--weights", weights_file, "--workers", "0")
    assert_one_line_error(r, "resize=pytorch-fid", "resize=tf1", "--force")
    r = run("fid", out, image_sets["fake"], "--weights", weights_file, "--workers", "0", "--force")
    assert r.exit_code == 0 and r.stdout.startswith("FID: ")


def test_bad_inputs(image_sets, weights_file, tmp_path):
    w = ["--weights", weights_file, "--workers", "0"]
    real = image_sets["real"]
    assert_one_line_error(run("fid", tmp_path / "missing", real, *w), "missing: no such file or directory")

    (tmp_path / "empty").mkdir()
    assert_one_line_error(run("fid", tmp_path / "empty", real, *w), "empty: no image files found")

    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    Image.new("RGB", (16, 16)).save(corrupt / "a.png")
    (corrupt / "b.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    assert_one_line_error(run("fid", corrupt, real, *w), "b.png")

    mixed = tmp_path / "mixed"
    mixed.mkdir()
    Image.new("RGB", (16, 16)).save(mixed / "a.png")
    (mixed / "labels.csv").write_text("a,1\n")
    assert_one_line_error(run("fid", mixed, real, *w), "labels.csv: not an image")

    single = tmp_path / "single"
    single.mkdir()
    Image.new("RGB", (16, 16)).save(single / "a.png")
    assert_one_line_error(run("fid", single, real, *w), "single", "at least 2")

    np.savez(tmp_path / "d3.npz", mu=np.zeros(3), sigma=np.eye(3))
    np.savez(tmp_path / "d4.npz", mu=np.zeros(4), sigma=np.eye(4))
    assert_one_line_error(run("fid", tmp_path / "d3.npz", tmp_path / "d4.npz"), "3-d", "4-d")

    truncated = tmp_path / "truncated.pth"
    truncated.write_bytes(weights_file.read_bytes()[:100000])
    assert_one_line_error(run("fid", real, image_sets["fake"], "--weights", truncated), "truncated.pth")

    assert_one_line_error(run("fid", real, image_sets["fake"], "--device", "cuda:0", "--weights", weights_file)
                          if not __import__("torch").cuda.is_available() else run("fid", tmp_path / "x", real),
                          "cuda" if not __import__("torch").cuda.is_available() else "x")


def test_help_and_version():
    r = run("--help")
    assert r.exit_code == 0 and "fid" in r.output and "stats" in r.output
    r = run("fid", "--help")
    assert "--resize" in r.output and "--weights" in r.output and "--json" in r.output
    assert run("--version").output.strip() == f"ganmetrics, version {ganmetrics.__version__}"


def test_python_dash_m_and_console_script(image_sets, weights_file):
    """`python -m ganmetrics` behaves like the console script: success, and bad input -> exit 2."""
    ok = subprocess.run([sys.executable, "-m", "ganmetrics", "fid", str(image_sets["real"]), str(image_sets["fake"]),
                         "--weights", str(weights_file), "--workers", "2", "--quiet"],
                        capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("FID: ")
    bad = subprocess.run([sys.executable, "-m", "ganmetrics", "fid", "/nonexistent", str(image_sets["real"])],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and bad.stderr.strip() == "Error: /nonexistent: no such file or directory"


def test_csv_rows_appended_with_no_header_read_back_as_numbers(image_sets, weights_file, tmp_path):
    """issue 21 item 18: `eval --csv > f` then `eval --csv --no-header >> f` is one valid CSV."""
    import pandas as pd
    common = ["--metrics", "fid,kid", "--subsets", "3", "--subset-size", "6", "--weights", weights_file,
              "--workers", "0", "--csv"]
    first = run("eval", image_sets["real"], image_sets["fake"], *common)
    second = run("eval", image_sets["fake"], image_sets["real"], *common, "--no-header")
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert len(first.stdout.splitlines()) == 2 and len(second.stdout.splitlines()) == 1
    (tmp_path / "results.csv").write_text(first.stdout + second.stdout)
    table = pd.read_csv(tmp_path / "results.csv")
    assert len(table) == 2 and list(table.columns) == first.stdout.splitlines()[0].split(",")
    for column in ("fid", "kid", "kid_std", "n_a", "n_b"):
        assert pd.api.types.is_numeric_dtype(table[column]), column
    assert table["fid"][0] == pytest.approx(table["fid"][1], rel=1e-6)  # FID is symmetric in A and B
    # without --csv the flag has nothing to act on: a one-line usage error before any work
    r = run("fid", image_sets["real"], image_sets["fake"], "--weights", weights_file, "--no-header")
    assert r.exit_code == 2 and "--no-header applies to --csv only" in r.stderr and "Traceback" not in r.output


def test_set_against_itself_never_prints_a_negative_fid(image_sets, weights_file):
    # issue 21: 'FID: -0.0005' for a folder against itself (statistics-only, N < d: today's
    # eigvals route gave -0.0055 here, 1e-6 of the traces); now the low-rank route: 0 to rounding
    r = run("fid", image_sets["real"], image_sets["real"], "--weights", weights_file, "--json", "--workers", "0")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["sqrtm_route"] == "lowrank" and 0.0 <= out["fid"] < 1e-9
    assert "biased upwards" not in r.stderr
    # with the features at hand (evaluate), the exact small-sample route: zero to rounding
    res = ganmetrics.evaluate(image_sets["real"], image_sets["real"], ["fid"], weights=weights_file, device="cpu",
                              workers=0)[0]
    assert res.metadata["sqrtm_route"] == "features" and 0.0 <= res.value < 1e-9
