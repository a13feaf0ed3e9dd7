"""The reference registry (--ref) and datasets by name."""
import hashlib
import json
import struct

import numpy as np
import pytest
from click.testing import CliRunner

from ganmetrics import GaussianStats, refs
from ganmetrics.cli import main
from ganmetrics.errors import InputError, ReferenceStatsError


def test_manifest_parses_with_required_fields_and_unique_names():
    manifest = refs.load_manifest()
    assert "cifar10-train" in manifest and len(manifest) >= 8
    for r in manifest.values():
        assert r.url.startswith("https://") and r.resize in ("tf1", "pytorch-fid", "clean")
        assert r.sha256 == "" or len(r.sha256) == 64
    with pytest.raises(InputError, match="duplicate"):
        entry = ENTRY.format(name="x", resize="tf1", url="https://h/x.npz", sha="")
        refs.load_manifest("[[stats]]\n" + entry + "[[stats]]\n" + entry)
    with pytest.raises(InputError, match=r"entry x: resize 'clean-fid' is not a --resize mode \(tf1, pytorch-fid, clean\)"):
        refs.load_manifest("[[stats]]\n" + ENTRY.format(name="x", resize="clean-fid", url="https://h/x.npz", sha=""))
    with pytest.raises(InputError, match="missing url"):
        refs.load_manifest('[[stats]]\nname = "y"\ndataset = "d"\nsplit = "s"\nresolution = "1"\nn = 1\n'
                           'extractor = "e"\nresize = "tf1"\nsource = "s"\nsha256 = ""\n')


ENTRY = '''name = "{name}"
dataset = "Toy"
split = "train"
resolution = "32"
n = 20
extractor = "inception-v3-fid"
resize = "{resize}"
source = "test"
url = "{url}"
sha256 = "{sha}"
'''


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A stats file served by an https URL (answered from a local file) and a manifest that points at it."""
    import urllib.request
    stats = GaussianStats.from_moments(np.zeros(2048), np.eye(2048), n=20)
    path = tmp_path / "served" / "toy.npz"
    path.parent.mkdir()
    stats.save(path)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    url = "https://refs.example.test/toy.npz"
    real_urlopen = urllib.request.urlopen
    monkeypatch.setattr(urllib.request, "urlopen", lambda u, *a, **k: real_urlopen(path.as_uri() if u == url else u,
                                                                                   *a, **k))
    text = "".join("[[stats]]\n" + ENTRY.format(**e) for e in [
        dict(name="toy", resize="tf1", url=url, sha=sha),
        dict(name="toy-bad-hash", resize="tf1", url=url, sha="0" * 64),
        dict(name="toy-unhashed", resize="tf1", url=url, sha=""),
        dict(name="toy-pt", resize="pytorch-fid", url=url, sha=sha),
        dict(name="toy-offline", resize="tf1", url="https://127.0.0.1:9/toy.npz", sha=sha),
        dict(name="toy-clean", resize="clean", url=url, sha=sha)])
    manifest = refs.load_manifest(text)
    monkeypatch.setattr(refs, "load_manifest", lambda text=None: manifest)
    return path, sha


def test_happy_path_downloads_once_and_verifies(served):
    path, sha = served
    local = refs.resolve("toy")
    assert local == refs.refs_dir() / "toy.npz" and hashlib.sha256(local.read_bytes()).hexdigest() == sha
    path.unlink()  # second use is served from the cache
    assert refs.resolve("toy") == local
    stats = refs.load_reference("toy")
    assert stats.n == 20 and stats.metadata["resize"] == "tf1" and stats.metadata["source"] == "--ref toy"


def test_hash_mismatch_is_refused_and_cache_untouched(served):
    with pytest.raises(ReferenceStatsError, match="expected 0000"):
        refs.resolve("toy-bad-hash")
    assert not (refs.refs_dir() / "toy-bad-hash.npz").exists()


def test_trust_first_use_records_and_enforces_the_hash(served):
    path, sha = served
    with pytest.raises(ReferenceStatsError, match="--trust-first-use"):
        refs.resolve("toy-unhashed")
    local = refs.resolve("toy-unhashed", trust_first_use=True)
    assert json.loads((refs.refs_dir() / "trusted.json").read_text())["toy-unhashed"] == sha
    local.write_bytes(b"tampered")
    with pytest.raises(ReferenceStatsError, match="does not match the recorded"):
        refs.resolve("toy-unhashed")


def test_offline_error_names_where_to_place_the_file(served):
    with pytest.raises(ReferenceStatsError) as info:
        refs.resolve("toy-offline")
    assert "place it at" in str(info.value) and str(refs.refs_dir() / "toy-offline.npz") in str(info.value)


def test_mode_mismatch_is_refused_with_the_fix(served, image_sets, weights_file):
    r = CliRunner().invoke(main, ["fid", "--ref", "toy-pt", str(image_sets["fake"]), "--weights", str(weights_file),
                                  "--workers", "0"])
    assert r.exit_code == 2 and "resize=pytorch-fid" in r.stderr and "--resize" in r.stderr
    r = CliRunner().invoke(main, ["fid", "--ref", "toy-clean", str(image_sets["fake"]), "--weights", str(weights_file),
                                  "--workers", "0"])  # clean-fid's clean statistics need --resize clean
    assert r.exit_code == 2 and "resize=clean" in r.stderr and "--resize" in r.stderr
    assert refs.load_reference("toy-clean").metadata["resize"] == "clean"
    r = CliRunner().invoke(main, ["fid", "--ref", "toy", "a", "b"])
    assert r.exit_code == 2 and "exactly one input" in r.output
    r = CliRunner().invoke(main, ["fid", "--ref", "nope", "b"])
    assert r.exit_code == 2 and "unknown reference" in r.stderr


def test_refs_list_cli():
    r = CliRunner().invoke(main, ["refs", "list"])
    assert r.exit_code == 0 and "cifar10-train" in r.stdout and "first use" in r.stdout
    listed = json.loads(CliRunner().invoke(main, ["refs", "list", "--json"]).stdout)
    assert {"name", "dataset", "split", "resolution", "n", "extractor", "resize", "url", "sha256"} <= set(listed[0])


def write_idx_mnist(root, n_train=6, n_test=4):
    """A tiny MNIST copy in torchvision's on-disk format (IDX files under MNIST/raw)."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    images = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        imgs = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        images[prefix] = imgs
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 2051, n, 28, 28) + imgs.tobytes())
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 2049, n) + bytes(n))
    return images


def test_dataset_by_name_from_a_local_copy(tmp_path, weights_file):
    images = write_idx_mnist(tmp_path / "data")
    from ganmetrics.inputs.open import open_images
    src = open_images("mnist:test", root=tmp_path / "data")
    assert src.name == "mnist:test" and len(src) == 4
    assert np.array_equal(src.array[:, 0], images["t10k"]) and np.array_equal(src.array[:, 1], images["t10k"])
    out = tmp_path / "mnist.npz"
    r = CliRunner().invoke(main, ["stats", "mnist:train", "--root", str(tmp_path / "data"), "-o", str(out),
                                  "--weights", str(weights_file), "--workers", "0"])
    assert r.exit_code == 0, r.output
    stats = GaussianStats.load(out)
    assert stats.n == 6 and stats.metadata["source"] == "mnist:train" and stats.metadata["resize"] == "tf1"


def test_missing_dataset_copy_says_where_to_put_it(tmp_path):
    r = CliRunner().invoke(main, ["stats", "cifar10:train", "--root", str(tmp_path), "-o", str(tmp_path / "x.npz")])
    assert r.exit_code == 2 and "cifar-10-batches-py" in r.stderr and "--download" in r.stderr
    r = CliRunner().invoke(main, ["stats", "cifar10:valid", "--root", str(tmp_path), "-o", str(tmp_path / "x.npz")])
    assert r.exit_code == 2 and "unknown split" in r.stderr


def test_bundled_shapes32_by_name():
    from ganmetrics.inputs.open import open_images
    from ganmetrics.train.data import shapes32
    src = open_images("shapes32:test")
    assert len(src) == 2000 and np.array_equal(src.array[:5], shapes32(5, seed=1).transpose(0, 3, 1, 2))
