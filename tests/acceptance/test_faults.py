"""Issue 21, the input/file/number half: each fixed kind of fault, with the value that is right.

Every test here failed on main before the fix (the reason is in its docstring)."""
from __future__ import annotations

import os
import signal
import stat
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ganmetrics.errors import InputError, display_name, one_line
from ganmetrics.io import atomic_write, save_npz, write_text
from ganmetrics.inputs.sources import ImageSource, cap_workers, content_fingerprint, decode_image, list_image_files

from helpers import assert_one_line_error, run, smooth_images, write_folder


# ----------------------------------------------------------------------------- decoders (item 4)

def _png16(path: Path, arr: np.ndarray, color_type: int, interlace: int = 0) -> Path:
    """A 16-bit PNG written byte by byte (Pillow cannot write 16-bit colour): the hand-made twin."""
    h, w = arr.shape[:2]
    raw = b"".join(b"\x00" + arr[y].astype(">u2").tobytes() for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, color_type, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return path


def _tiff(path: Path, arr: np.ndarray, sample_format: int = 1) -> Path:
    """A minimal uncompressed little-endian TIFF (1 or 3 samples, 16-bit int or 32-bit float)."""
    h, w = arr.shape[:2]
    spp = 1 if arr.ndim == 2 else arr.shape[2]
    bits = arr.dtype.itemsize * 8
    data = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
    extra_bits = struct.pack("<" + "H" * spp, *[bits] * spp)
    extra_sf = struct.pack("<" + "H" * spp, *[sample_format] * spp)
    entries = [(256, w), (257, h), (258, None), (259, 1), (262, 2 if spp == 3 else 1), (273, None),
               (277, spp), (278, h), (279, len(data)), (339, None)]
    ifd_size = 2 + 12 * len(entries) + 4
    bits_off = 8 + ifd_size
    sf_off = bits_off + len(extra_bits)
    data_off = sf_off + len(extra_sf)
    out = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", len(entries))
    for tag, val in entries:
        typ, cnt = (4, 1) if tag in (273, 279) else (3, spp if tag in (258, 339) else 1)
        if tag == 258:
            val = bits if spp == 1 else bits_off
        elif tag == 339:
            val = sample_format if spp == 1 else sf_off
        elif tag == 273:
            val = data_off
        out += struct.pack("<HHI", tag, typ, cnt)
        out += struct.pack("<HH", val, 0) if typ == 3 and cnt == 1 else struct.pack("<I", val)
    path.write_bytes(out + struct.pack("<I", 0) + extra_bits + extra_sf + data)
    return path


def _round257(v):
    return np.rint(np.asarray(v, np.float64) / 257).astype(np.uint8)


@pytest.mark.parametrize("color_type,channels", [(2, 3), (6, 4), (0, 1)])
def test_16bit_png_decodes_to_round_v_over_257(tmp_path, color_type, channels):
    """16-bit RGB PNGs were truncated (v >> 8) while 16-bit grey rounded (v / 257)."""
    rng = np.random.default_rng(color_type)
    a = rng.integers(0, 65536, (6, 7, channels)).astype(np.uint16)
    a[0, 0] = 200  # v >> 8 = 0 but round(200 / 257) = 1: the old truncation is visible here
    path = _png16(tmp_path / "x.png", a if channels > 1 else a[..., 0], color_type)
    expected = _round257(a[..., :3] if channels >= 3 else np.repeat(a, 3, axis=2))
    np.testing.assert_array_equal(decode_image(path), expected)


def test_16bit_rgb_tiff_and_grey_tiff(tmp_path):
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 65536, (5, 6, 3)).astype(np.uint16)
    grey = rng.integers(0, 65536, (5, 6)).astype(np.uint16)
    np.testing.assert_array_equal(decode_image(_tiff(tmp_path / "rgb.tif", rgb)), _round257(rgb))
    np.testing.assert_array_equal(decode_image(_tiff(tmp_path / "g.tif", grey)),
                                  np.repeat(_round257(grey)[..., None], 3, axis=2))


def test_float_tiff_in_unit_range(tmp_path):
    """A float TIFF in [0, 1] decoded as all black (FID 0 against black images)."""
    f = np.random.default_rng(2).random((5, 6)).astype(np.float32)
    out = decode_image(_tiff(tmp_path / "f.tif", f, sample_format=3))
    np.testing.assert_array_equal(out, np.repeat(np.rint(f.astype(np.float64) * 255).astype(np.uint8)[..., None], 3, 2))
    with pytest.raises(InputError, match=r"big\.tif: float image with values in \[200, 200\]"):
        decode_image(_tiff(tmp_path / "big.tif", np.full((5, 6), 200, np.float32), sample_format=3))


def test_8bit_modes_match_their_twins(tmp_path):
    rgb = smooth_images(1, size=8, seed=3)[0]
    grey = rgb[..., 0]
    twins = {
        "L": (Image.fromarray(grey), np.repeat(grey[..., None], 3, 2)),
        "LA": (Image.fromarray(np.dstack([grey, grey[::-1]]), "LA"), np.repeat(grey[..., None], 3, 2)),
        "RGBA": (Image.fromarray(np.dstack([rgb, grey]), "RGBA"), rgb),
        "1": (Image.fromarray(grey > 127), np.repeat(np.where(grey > 127, 255, 0).astype(np.uint8)[..., None], 3, 2)),
    }
    pal = Image.fromarray(rgb).quantize(16)
    twins["P"] = (pal, np.asarray(pal.convert("RGB")))
    cmyk = np.dstack([rgb, grey]).astype(np.uint8)
    twins["CMYK"] = (Image.fromarray(cmyk, "CMYK"),  # Pillow's CMYK -> RGB: (255 - C)(255 - K) / 255
                     np.rint((255 - cmyk[..., :3].astype(float)) * (255 - cmyk[..., 3:].astype(float)) / 255).astype(np.uint8))
    for mode, (img, expected) in twins.items():
        path = tmp_path / f"{mode}.{'tif' if mode == 'CMYK' else 'png'}"
        img.save(path)
        np.testing.assert_allclose(decode_image(path).astype(int), expected.astype(int), atol=1 if mode == "CMYK" else 0,
                                   err_msg=mode)


def test_unsupported_modes_refused_by_name(tmp_path):
    la16 = np.random.default_rng(4).integers(0, 65536, (5, 6, 2)).astype(np.uint16)
    with pytest.raises(InputError, match=r"la16\.png: 16-bit .*convert it to 8-bit RGB"):
        decode_image(_png16(tmp_path / "la16.png", la16, 4))


# ----------------------------------------------------------------------------- cache (item 5)

def test_fingerprint_sees_a_same_size_swap_with_restored_mtime(tmp_path):
    """The cache key used names, sizes and mtimes: a swapped image returned the old features."""
    folder = write_folder(tmp_path / "f", smooth_images(3, size=16, seed=5), ext="bmp")  # bmp: size fixed by shape
    source = ImageSource("f", files=list_image_files(folder))
    before = content_fingerprint(source, folder)
    target = folder / "00001.bmp"
    st = target.stat()
    Image.fromarray(smooth_images(1, size=16, seed=99)[0]).save(target)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert target.stat().st_size == st.st_size and target.stat().st_mtime_ns == st.st_mtime_ns
    assert content_fingerprint(source, folder) != before


def test_feature_cache_not_stale_after_swap(tmp_path, weights_file):
    from ganmetrics.evaluation import extract_features, make_runner
    folder = write_folder(tmp_path / "f", smooth_images(2, size=16, seed=6), ext="bmp")
    opts = make_runner(weights=weights_file, device="cpu", workers=0)[0]
    first = extract_features(folder, opts, cache=True)
    target = folder / "00000.bmp"
    st = target.stat()
    Image.fromarray(smooth_images(1, size=16, seed=7)[0]).save(target)
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    second = extract_features(folder, opts, cache=True)
    assert not np.allclose(first.features[0], second.features[0])
    np.testing.assert_array_equal(first.features[1], second.features[1])


# ----------------------------------------------------------------------------- non-regular files (item 8)

def test_fifo_in_folder_refused_by_name_not_a_hang(tmp_path):
    folder = write_folder(tmp_path / "f", smooth_images(2, size=8, seed=8))
    os.mkfifo(folder / "zz.png")
    with pytest.raises(InputError, match=r"zz\.png: a FIFO \(named pipe\), not a regular file"):
        list_image_files(folder)
    with pytest.raises(InputError, match="FIFO"):
        decode_image(folder / "zz.png")
    os.mkfifo(tmp_path / "s.npz")
    from ganmetrics.io import load_npz
    with pytest.raises(InputError, match=r"s\.npz: a FIFO"):
        load_npz(tmp_path / "s.npz")
    (folder / "zz.png").unlink()
    (folder / "broken.png").symlink_to(tmp_path / "nowhere.png")
    with pytest.raises(InputError, match=r"broken\.png: broken symbolic link"):
        list_image_files(folder)


def test_fifo_via_cli_one_line(tmp_path):
    folder = write_folder(tmp_path / "f", smooth_images(2, size=8, seed=8))
    os.mkfifo(folder / "zz.png")
    assert_one_line_error(run("stats", folder, "-o", tmp_path / "s.npz"), "zz.png", "FIFO")
    assert not (tmp_path / "s.npz").exists()


# ----------------------------------------------------------------------------- workers (item 9)

def test_workers_capped_at_cpus_and_files(monkeypatch):
    from ganmetrics.inputs import sources
    monkeypatch.setattr(sources, "cpu_count", lambda: 2)
    with pytest.warns(UserWarning, match=r"--workers 100000: capped at 2 \(2 CPUs, 50 files\)"):
        assert cap_workers(100000, 50) == 2
    with pytest.warns(UserWarning, match=r"capped at 1 \(2 CPUs, 1 files\)"):
        assert cap_workers(8, 1) == 1
    assert cap_workers(2, 50) == 2 and cap_workers(0, 50) == 0


# ----------------------------------------------------------------------------- permissions (item 11)

def test_atomic_write_keeps_permissions(tmp_path):
    """Every file was written 0600 whatever the umask, and replacing a 0644 file made it 0600."""
    old = os.umask(0o022)
    try:
        write_text(tmp_path / "new.txt", "a")
        assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o644
        os.umask(0o027)
        save_npz(tmp_path / "s.npz", mu=np.zeros(2))
        assert stat.S_IMODE((tmp_path / "s.npz").stat().st_mode) == 0o640
        shared = tmp_path / "shared.npz"
        shared.write_bytes(b"x")
        os.chmod(shared, 0o664)
        save_npz(shared, mu=np.zeros(2))
        assert stat.S_IMODE(shared.stat().st_mode) == 0o664
    finally:
        os.umask(old)


def test_killed_write_leaves_no_temporary_after_next_write(tmp_path):
    target = tmp_path / "out.npz"
    code = ("import os, sys\nfrom ganmetrics.io import atomic_write\n"
            f"with atomic_write({str(target)!r}) as f:\n    f.write(b'x')\n    f.flush()\n"
            "    print('ready', flush=True)\n    os.kill(os.getpid(), 9)\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert p.returncode == -signal.SIGKILL and "ready" in p.stdout
    left = [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]
    assert len(left) == 1 and not target.exists()
    with atomic_write(target) as f:
        f.write(b"y")
    assert [n for n in os.listdir(tmp_path) if n.endswith(".tmp")] == []
    assert target.read_bytes() == b"y"


# ----------------------------------------------------------------------------- names in messages (item 12)

def test_names_escaped_in_messages(tmp_path, monkeypatch):
    assert display_name("a\nb\x1b[31m\u2028.png") == "a\\nb\\x1b[31m\\u2028.png"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert "::" not in display_name("x::error::owned")
    assert not one_line("::set-output name=x::1").startswith("::")


def test_newline_in_file_name_keeps_the_error_one_line(tmp_path, monkeypatch, weights_file):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    folder = write_folder(tmp_path / "f", smooth_images(2, size=8, seed=9))
    (folder / "x\n::error::forged.png").write_bytes(b"not an image")
    r = run("stats", folder, "-o", tmp_path / "s.npz", "--weights", weights_file, "--workers", 0)
    assert_one_line_error(r, "x\\n:\\:error:\\:forged.png")
    assert not any(line.startswith("::") for line in r.output.splitlines())


def test_gate_annotations_escape_names():
    from ganmetrics.report.gate import Check, github_annotations
    (line,) = github_annotations([Check("threshold.fid", False, "fake\n::error::x/a.png: 100% bad")])
    assert "\n" not in line and line.startswith("::error title=ganmetrics gate threshold.fid::fake%0A")
    assert "100%25 bad" in line


# ----------------------------------------------------------------------------- order (item 1)

def test_kid_full_subsets_do_not_depend_on_order():
    from ganmetrics.metrics.kid import kid
    rng = np.random.default_rng(10)
    a, b = rng.normal(size=(30, 16)), rng.normal(0.3, 1, size=(25, 16))
    pa, pb = rng.permutation(30), rng.permutation(25)
    base = kid(a, b, subsets=3, subset_size=25)[0]
    assert kid(a[pa], b[pb], subsets=3, subset_size=25)[0] != pytest.approx(base, rel=1e-9)  # a's subset of 25 moves
    assert kid(a[:25][pb], b[pb], subsets=2, subset_size=25)[0] == pytest.approx(kid(a[:25], b, subsets=2,
                                                                                       subset_size=25)[0], rel=1e-10)


def test_is_cli_records_the_seed(tmp_path, weights_file):
    import json
    folder = write_folder(tmp_path / "f", smooth_images(4, size=8, seed=11))
    out = json.loads(run("is", folder, "--splits", "2", "--weights", weights_file, "--workers", 0, "--json").stdout)
    assert out["seed"] == 2020


# ----------------------------------------------------------------------------- stats files (item 3)

def _stats_of(x, path, **meta):
    from ganmetrics.stats import GaussianStats
    s = GaussianStats(x.shape[1], meta).update(x)
    if meta:
        s.save(path)
    else:  # what pytorch-fid --save-stats and TTUR write: mu and sigma only
        np.savez(path, mu=s.mu, sigma=s.sigma)
    return path


def test_stats_without_metadata_say_what_is_assumed(tmp_path):
    """A pytorch-fid --save-stats file was used in tf1 mode without a word."""
    import ganmetrics
    rng = np.random.default_rng(12)
    bare = _stats_of(np.abs(rng.normal(size=(40, 8))), tmp_path / "pfid.npz")
    ours = _stats_of(np.abs(rng.normal(size=(40, 8))), tmp_path / "ours.npz", extractor="inception-v3-fid",
                     resize="tf1", weights_sha256="x")
    with pytest.warns(UserWarning, match=r"pfid\.npz: statistics without metadata; assuming inception-v3-fid with "
                                         r"resize=tf1.*--resize pytorch-fid"):
        r = ganmetrics.fid(bare, ours)
    assert r.metadata["protocol_assumed_a"] == "extractor=inception-v3-fid, resize=tf1"
    assert "protocol_assumed_b" not in r.metadata


def test_known_reference_recognised_by_sha256(tmp_path, monkeypatch):
    from ganmetrics import refs
    from ganmetrics.io import sha256_of
    from ganmetrics.stats import GaussianStats
    rng = np.random.default_rng(13)
    path = _stats_of(np.abs(rng.normal(size=(10, 6))), tmp_path / "ttur.npz")
    manifest = refs.load_manifest(f'''[[stats]]
name = "toy-ref"
dataset = "toy"
split = "train"
resolution = "32"
n = 10
extractor = "inception-v3-fid"
resize = "pytorch-fid"
source = "test"
url = "https://example.org/toy.npz"
sha256 = "{sha256_of(path)}"
''')
    monkeypatch.setattr(refs, "load_manifest", lambda text=None: manifest)
    s = refs.load_stats(path)
    assert s.metadata["resize"] == "pytorch-fid" and s.metadata["reference"] == "toy-ref"
    assert "reference" not in GaussianStats.load(path).metadata  # the stats layer alone does not look it up


def test_negative_means_refused_for_pool3(tmp_path):
    """A 2048-d file from another layer (negative means) gave a large FID with no warning."""
    from ganmetrics.stats import GaussianStats
    x = np.random.default_rng(14).normal(size=(30, 2048))
    _stats_of(x, tmp_path / "other-layer.npz")
    with pytest.raises(InputError, match=r"other-layer\.npz: mean of feature \d+ is -.*post-ReLU"):
        GaussianStats.load(tmp_path / "other-layer.npz")
    r = run("fid", tmp_path / "other-layer.npz", tmp_path / "other-layer.npz")
    assert_one_line_error(r, "other-layer.npz", "post-ReLU")


@pytest.mark.parametrize("mu_scale,sigma_scale,key", [(1e200, 1.0, "mu"), (1.0, 1e300, "sigma")])
def test_overflowing_stats_are_input_errors(tmp_path, mu_scale, sigma_scale, key):
    """A covariance of 1e300 or a mean of 1e200 gave FID: inf or a LinAlgError traceback."""
    np.savez(tmp_path / "big.npz", mu=np.ones(4) * mu_scale, sigma=np.eye(4) * sigma_scale)
    np.savez(tmp_path / "ok.npz", mu=np.ones(4), sigma=np.eye(4))
    r = run("fid", tmp_path / "big.npz", tmp_path / "ok.npz")
    assert_one_line_error(r, "big.npz", f"{key} has values up to", "overflows")


# ----------------------------------------------------------------------------- messages (item 15) and weights (16)

def test_nan_weights_name_the_weights_file(tmp_path):
    """Weights with a NaN said "features contain NaN"."""
    import torch
    from ganmetrics.errors import WeightsError
    from ganmetrics.features.inception import load_inception
    from helpers import random_inception_state_dict
    state = random_inception_state_dict(0)
    state["Conv2d_1a_3x3.conv.weight"][0, 0, 0, 0] = float("nan")
    torch.save(state, tmp_path / "nan.pth")
    with pytest.raises(WeightsError, match=r"nan\.pth: weights contain NaN or infinite values \(tensor "
                                           r"Conv2d_1a_3x3\.conv\.weight\)"):
        load_inception(tmp_path / "nan.pth", device="cpu")


def test_non_standard_weights_warn_and_mark_the_result(tmp_path, weights_file):
    import ganmetrics
    from ganmetrics.features import weights as w
    w._warned.discard(str(weights_file))
    folder = write_folder(tmp_path / "f", smooth_images(3, size=8, seed=15))
    with pytest.warns(UserWarning, match=r"pt_inception-random\.pth: not the standard FID Inception weights"):
        (r,) = ganmetrics.evaluate(folder, None, ["is"], splits=1, weights=weights_file, device="cpu", workers=0)
    assert r.metadata["standard_weights"] is False


def test_stats_file_with_mu_but_no_sigma(tmp_path):
    """It was called an image array of the wrong shape."""
    np.savez(tmp_path / "half.npz", mu=np.zeros(2048))
    assert_one_line_error(run("fid", tmp_path / "half.npz", tmp_path / "half.npz"),
                          "half.npz: a statistics file with 'mu' but no 'sigma'")


def test_budget_inf_score_names_file_column_and_group(tmp_path):
    """It said "needs at least one finite score" although finite scores existed."""
    (tmp_path / "runs.csv").write_text("model,fid\na,10\na,12\nb,11\nb,inf\n")
    assert_one_line_error(run("budget", tmp_path / "runs.csv", "--metric", "fid", "--by", "model"),
                          "runs.csv: column 'fid' has 1 infinite value(s) (group(s) b; row(s) 4)")


def test_resume_without_a_run_says_so(tmp_path):
    """It asked for --algo."""
    assert_one_line_error(run("train", "--out", tmp_path / "empty", "--resume"),
                          "--resume:", "holds no run to continue")


def test_in_loop_fid_names_the_side(weights_file):
    from ganmetrics.streaming import FID
    m = FID(weights=weights_file, device="cpu")
    m.update(smooth_images(2, size=8, seed=16), real=True)
    m.update(smooth_images(1, size=8, seed=17))
    with pytest.raises(InputError, match=r"1 generated image \(passed with update\(images\)\)"):
        m.compute()


def test_small_sample_warning_counts_read_images(tmp_path, weights_file):
    """After --skip-invalid the warning counted the skipped files too."""
    folder = write_folder(tmp_path / "f", smooth_images(4, size=8, seed=18))
    (folder / "zz_bad.png").write_bytes(b"garbage")
    r = run("stats", folder, "-o", tmp_path / "s.npz", "--weights", weights_file, "--workers", 0,
            "--skip-invalid", "--max-invalid", "0.5")
    assert r.exit_code == 0, r.output
    assert "4 images < 2048" in r.stderr and "5 images" not in r.stderr


# ----------------------------------------------------------------------------- manifest (item 14)

_ENTRY = '''[[stats]]
name = "{name}"
dataset = "d"
split = "s"
resolution = "32"
n = 1
extractor = "inception-v3-fid"
resize = "tf1"
source = "t"
url = "{url}"
sha256 = ""
'''


@pytest.mark.parametrize("name", ["../escape", "a/b", "..", ".hidden", "x\\ny"])
def test_manifest_names_cannot_leave_the_cache(name):
    """A name with ../ wrote outside the cache folder."""
    from ganmetrics import refs
    with pytest.raises(InputError, match="not a plain file name"):
        refs.load_manifest(_ENTRY.format(name=name.replace("\n", "\\n"), url="https://h/x.npz"))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://h/x.npz", "ftp://h/x.npz"])
def test_manifest_only_https(url, tmp_path):
    """A file:// URL was copied in and recorded as trusted."""
    from ganmetrics import refs
    with pytest.raises(InputError, match="only https URLs are fetched"):
        refs.load_manifest(_ENTRY.format(name="x", url=url))
    assert not (refs.refs_dir() / "trusted.json").exists()


# ----------------------------------------------------------------------------- degenerate sets (item 6)

def test_duplicate_fraction():
    from ganmetrics.metrics._checks import duplicate_fraction
    rng = np.random.default_rng(19)
    x = rng.normal(size=(10, 32))
    assert duplicate_fraction(x) == 0
    copies = np.repeat(x[:1], 6, axis=0) + rng.normal(0, 1e-9, (6, 32))  # identical up to float rounding
    assert duplicate_fraction(copies) == pytest.approx(5 / 6)
    assert duplicate_fraction(np.vstack([x, x[:5]])) == pytest.approx(5 / 15)


def test_identical_images_warn(tmp_path, weights_file):
    """6 identical images against themselves gave density 0.40 without a word."""
    import ganmetrics
    folder = write_folder(tmp_path / "same", np.repeat(smooth_images(1, size=8, seed=20), 6, axis=0))
    with pytest.warns(UserWarning, match=r"same: 5 of 6 samples duplicate others"):
        ganmetrics.evaluate(folder, folder, ["prdc"], k_pr=2, k_dc=2, weights=weights_file, device="cpu", workers=0)


def test_interrupted_sample_folder_refused(tmp_path, monkeypatch):
    """A folder a killed sample run left with 44 of 3,000 images was accepted as complete."""
    from ganmetrics import generators as sampling
    from ganmetrics.inputs.sources import INCOMPLETE_MARKER
    images = np.zeros((5, 3, 8, 8), np.uint8)
    calls = []
    real_save = Image.Image.save

    def dying_save(self, fp, *a, **k):
        if len(calls) == 2:
            raise KeyboardInterrupt  # killed while writing the third image
        calls.append(1)
        return real_save(self, fp, *a, **k)
    monkeypatch.setattr(Image.Image, "save", dying_save)
    with pytest.raises(KeyboardInterrupt):
        sampling.save_samples(images, tmp_path / "out")
    monkeypatch.setattr(Image.Image, "save", real_save)
    assert (tmp_path / "out" / INCOMPLETE_MARKER).exists() and len(list((tmp_path / "out").glob("*.png"))) == 2
    with pytest.raises(InputError, match=r"out: incomplete output of an interrupted 'ganmetrics sample' run"):
        list_image_files(tmp_path / "out")
    assert_one_line_error(run("stats", tmp_path / "out", "-o", tmp_path / "s.npz"), "incomplete output")
    sampling.save_samples(images, tmp_path / "done")  # a finished run leaves no marker
    assert not (tmp_path / "done" / INCOMPLETE_MARKER).exists() and len(list_image_files(tmp_path / "done")) == 5
