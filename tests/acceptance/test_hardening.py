"""Bad inputs, faults and untrusted files: a clear error or a counted skip, never a torn file."""
import io as stdio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import ganmetrics
from ganmetrics import GaussianStats
from ganmetrics.cli import main
from ganmetrics.errors import GanmetricsError, InputError
from ganmetrics.inputs.sources import as_uint8_nchw, decode_image, list_image_files

ROOT = Path(__file__).resolve().parents[2]


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def png_bytes(size=(16, 16)):
    buf = stdio.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, size + (3,), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize("name, content, message", [
    ("zero.png", b"", "not a readable image"),
    ("garbage.jpg", b"\xff\xd8\xff\xe0 definitely not a jpeg" * 3, "cannot decode image"),
    ("noise.webp", bytes(range(256)) * 4, "not a readable image"),
    ("truncated.png", png_bytes()[:60], "cannot decode image"),
    ("tiny.png", png_bytes((2, 3)), "below the minimum of 4"),
])
def test_bad_image_files(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        decode_image(tmp_path / name)
    assert name in str(info.value) and "\n" not in str(info.value)


def test_decompression_bomb_limit_and_override(tmp_path):
    (tmp_path / "big.png").write_bytes(png_bytes((40, 40)))
    with pytest.raises(InputError, match="decompression bomb.*--max-pixels"):
        decode_image(tmp_path / "big.png", max_pixels=1000)
    assert decode_image(tmp_path / "big.png", max_pixels=0).shape == (40, 40, 3)  # 0 lifts the limit
    assert Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS > 1000  # the global is restored


def test_permission_denied_is_named(tmp_path, monkeypatch):
    (tmp_path / "locked.png").write_bytes(png_bytes())

    def deny(*a, **k):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(Image, "open", deny)
    with pytest.raises(InputError, match="locked.png: permission denied"):
        decode_image(tmp_path / "locked.png")


def test_symlink_loop_is_walked_once(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.png").write_bytes(png_bytes())
    os.symlink(tmp_path, tmp_path / "a" / "loop")          # a -> .. -> a -> ...
    os.symlink(tmp_path / "a", tmp_path / "alias")         # the same folder twice
    files = list_image_files(tmp_path)
    assert len(files) == 1


@pytest.mark.parametrize("sigma, message", [
    (np.array([[1.0, 0.5], [0.0, 1.0]]), "not symmetric"),
    (np.array([[1.0, 2.0], [2.0, 1.0]]), "not positive semi-definite"),
])
def test_stats_files_that_are_no_covariance(tmp_path, sigma, message):
    np.savez(tmp_path / "s.npz", mu=np.zeros(2), sigma=sigma)
    r = cli("fid", tmp_path / "s.npz", tmp_path / "s.npz")
    assert r.exit_code == 2 and message in r.stderr and "s.npz" in r.stderr


@pytest.mark.parametrize("name, content, kind", [
    ("garbage.npz", b"hello, not an archive", "zip archive"),
    ("empty.npz", b"", "zip archive"),
    ("garbage.npy", b"\x80\x04 pickle-looking bytes", ".npy array"),
])
def test_corrupt_array_files_are_called_corrupt_not_pickles(tmp_path, name, content, kind):
    # numpy alone would report "pickled data" for these, which misleads for a corrupt file
    (tmp_path / name).write_bytes(content)
    r = cli("is", tmp_path / name)
    assert r.exit_code == 2 and name in r.stderr and f"not a {kind}" in r.stderr and "pickle" not in r.stderr


def test_rank_deficient_covariances_are_accepted(tmp_path):
    f = np.random.default_rng(0).normal(size=(5, 50))
    stats = GaussianStats(50).update(f)
    stats.save(tmp_path / "s.npz")
    assert GaussianStats.load(tmp_path / "s.npz").n == 5


def test_skip_invalid_counts_and_refuses_too_many(image_sets, weights_file, tmp_path):
    folder = tmp_path / "fake"
    folder.mkdir()
    for p in sorted(image_sets["fake"].iterdir()):
        (folder / p.name).write_bytes(p.read_bytes())
    (folder / "zz_corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    args = ["fid", image_sets["real"], folder, "--weights", weights_file, "--workers", "0", "--json"]
    assert cli(*args).exit_code == 2                                        # default: stop
    r = cli(*args, "--skip-invalid")
    assert r.exit_code == 2 and "1 of 13 images unreadable" in r.stderr     # 7.7% > 1%
    r = cli(*args, "--skip-invalid", "--max-invalid", "0.1")
    out = json.loads(r.stdout)
    assert r.exit_code == 0 and out["n_b"] == 12 and out["skipped_b"] == 1 and out["skipped_a"] == 0
    assert "skipped 1 unreadable image" in r.stderr
    clean = ganmetrics.fid(image_sets["real"], image_sets["fake"], weights=weights_file, device="cpu", workers=0)
    assert out["fid"] == clean.value  # the skipped file changed nothing else


def test_bit_identical_across_workers_and_batch_sizes(image_sets, weights_file):
    runs = [ganmetrics.compute_stats(image_sets["real"], weights=weights_file, device="cpu", workers=w, batch_size=b)
            for w, b in ((0, 50), (2, 7), (0, 3))]
    for other in runs[1:]:
        assert np.array_equal(runs[0].mu, other.mu) and np.array_equal(runs[0].sigma, other.sigma)


WRITER = """
import sys, numpy as np
from ganmetrics.io import save_npz
path = sys.argv[1]
a, b = np.zeros(2_000_000), np.ones(2_000_000)
print("ready", flush=True)
while True:
    save_npz(path, x=a)
    save_npz(path, x=b)
"""


@pytest.mark.slow
def test_sigkill_during_writes_leaves_old_or_new_file(tmp_path):
    target = tmp_path / "out.npz"
    for attempt in range(5):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.3 + 0.17 * attempt)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if target.exists():
            with np.load(target) as data:
                x = data["x"]
            assert x.shape == (2_000_000,) and (np.all(x == 0) or np.all(x == 1))
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "out.npz"]
    assert all(name.startswith(".out.npz.") for name in leftovers)  # only temp files of killed writes


def test_unwritable_output_fails_before_work(tmp_path, weights_file):
    (tmp_path / "a-file").write_text("in the way")  # missing folders are created; a file in the way is not
    r = cli("stats", tmp_path / "does-not-matter", "-o", tmp_path / "a-file" / "x.npz", "--weights", weights_file)
    assert r.exit_code == 2 and "output folder" in r.stderr


def test_no_unpickling_anywhere_in_the_package():
    """torch.load only with weights_only=True, np.load only with allow_pickle=False, no pickle module;
    the one exception is io.load_checkpoint, which unpickles only when the user passes the trust flag."""
    trusted_loads = []
    for path in list((ROOT / "ganmetrics").rglob("*.py")) + list((ROOT / "cli").rglob("*.py")):
        text = path.read_text()
        if path.name == "vit.py":  # reads TorchScript archives with an allow-list unpickler: tensors only
            assert "def find_class" in text and "pickle.load(" not in text and "pickle.loads(" not in text
        else:
            assert "import pickle" not in text, path
        assert "allow_pickle=True" not in text, path
        for call in re.findall(r"torch\.load\([^)]*\)", text):
            if "weights_only=not trust" in call:
                trusted_loads.append(path.relative_to(ROOT).as_posix())
            else:
                assert "weights_only=True" in call, (path, call)
        for call in re.findall(r"np\.load\([^)]*\)", text):
            assert "allow_pickle=False" in call, (path, call)
    assert trusted_loads == ["ganmetrics/io.py"]


# ----------------------------------------------------------------------------- fuzzing

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(st.binary(max_size=2048), st.sampled_from([b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"BM"]))
def test_fuzz_image_decoding_raises_only_our_error(tmp_path, payload, header):
    path = tmp_path / "f.png"
    path.write_bytes(header + payload)
    try:
        out = decode_image(path)
        assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
    except InputError:
        pass


@FUZZ
@given(st.lists(st.integers(0, 6), min_size=0, max_size=5),
       st.sampled_from([np.uint8, np.int16, np.float32, np.float64, np.bool_, np.complex64]),
       st.sampled_from([0.0, 1.0, 255.0, np.nan, np.inf, -1.0]))
def test_fuzz_image_arrays(shape, dtype, fill):
    with np.errstate(invalid="ignore"):
        arr = np.full(shape, fill).astype(dtype) if shape else np.array(fill).astype(dtype)
    try:
        out = as_uint8_nchw(arr)
        assert out.dtype == np.uint8 and out.ndim == 4 and out.shape[1] == 3
    except InputError:
        pass


@FUZZ
@given(st.dictionaries(st.sampled_from(["mu", "sigma", "n", "metadata", "other"]),
                       st.one_of(st.just(np.zeros(3)), st.just(np.eye(3)), st.just(np.eye(2)),
                                 st.just(np.array("{not json")), st.just(np.array('{"a": 1}')),
                                 st.just(np.full((3, 3), np.nan)), st.just(np.array(5)),
                                 st.just(np.zeros((2, 2, 2)))), max_size=5))
def test_fuzz_stats_files(tmp_path, arrays):
    path = tmp_path / "s.npz"
    np.savez(path, **arrays)
    try:
        stats = GaussianStats.load(path)
        assert np.isfinite(stats.mu).all()
    except InputError:
        pass


@FUZZ
@given(st.text(max_size=300))
def test_fuzz_reference_manifest(text):
    from ganmetrics.refs import load_manifest
    try:
        load_manifest(text)
    except GanmetricsError:
        pass
