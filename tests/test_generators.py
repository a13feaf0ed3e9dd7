"""Sampling from checkpoints: bundled trainers, user factories, untrusted pickles refused."""
import json
import textwrap

import numpy as np
import pytest
import torch
from PIL import Image

from ganmetrics import generators as sampling
from ganmetrics.errors import InputError
from ganmetrics.train import TrainConfig, train
from ganmetrics.train.loop import build_models
from helpers import assert_one_line_error, run

FACTORY = textwrap.dedent('''
    import torch
    from torch import nn

    class TinyGenerator(nn.Module):
        def __init__(self, z_dim=8, size=8):
            super().__init__()
            self.z_dim, self.size = z_dim, size
            self.fc = nn.Linear(z_dim, 3 * size * size)

        def forward(self, z):
            return torch.tanh(self.fc(z)).view(-1, 3, self.size, self.size)

    def make_generator(z_dim=8, size=8):
        return TinyGenerator(z_dim, size)
    ''')


@pytest.fixture
def user_model(tmp_path, monkeypatch):
    """A user's package in the working directory, and a state-dict checkpoint of it."""
    (tmp_path / "mygen.py").write_text(FACTORY)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    import mygen
    torch.manual_seed(0)
    g = mygen.make_generator(z_dim=6, size=8)
    torch.save({"generator": g.state_dict(), "step": 1200}, tmp_path / "ckpt.pt")
    return g, tmp_path / "ckpt.pt"


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "wgan"
    train(TrainConfig(algo="wgan-gp", data="shapes32", out=str(out), steps=2, eval_every=1, eval_samples=16,
                      batch_size=8, n_train=64), log=open("/dev/null", "w"))
    return out


def expected_images(g, n, z_dim, seed=0, truncation=None):
    with torch.no_grad():
        x = g.eval()(sampling.latents(n, z_dim, seed, truncation))
    return np.clip(np.rint((x.numpy().astype(np.float64) + 1) * 127.5), 0, 255).astype(np.uint8)


def read_folder(folder):
    return np.stack([np.asarray(Image.open(p)) for p in sorted(folder.glob("*.png"))]).transpose(0, 3, 1, 2)


def test_bundled_trainer_checkpoint_needs_no_factory(trained_run, tmp_path):
    ckpt = sorted(trained_run.glob("ckpt_*.pt"))[-1]
    r = run("sample", "--checkpoint", ckpt, "--n", 10, "--seed", 3, "-o", tmp_path / "png", "--device", "cpu")
    assert r.exit_code == 0, r.output
    images = read_folder(tmp_path / "png")
    assert images.shape == (10, 3, 32, 32)
    cfg = TrainConfig(**json.loads(torch.load(ckpt, weights_only=True)["config"]))
    g, _ = build_models(cfg)
    g.load_state_dict(torch.load(ckpt, weights_only=True)["generator"])
    np.testing.assert_array_equal(images, expected_images(g, 10, cfg.z_dim, seed=3))
    loaded = sampling.load_generator(ckpt)
    assert loaded.step == 2 and loaded.z_dim == 100
    r = run("sample", "--checkpoint", ckpt, "--n", 10, "--seed", 3, "-o", tmp_path / "s.npz", "--device", "cpu")
    assert r.exit_code == 0, r.output
    np.testing.assert_array_equal(np.load(tmp_path / "s.npz")["images"].transpose(0, 3, 1, 2), images)


def test_user_factory_with_kwargs_and_truncation(user_model, tmp_path):
    g, ckpt = user_model
    r = run("sample", "--generator", "mygen:make_generator", "--kwargs", '{"z_dim": 6, "size": 8}',
            "--checkpoint", ckpt, "--n", 7, "--truncation", "0.5", "-o", tmp_path / "out", "--device", "cpu")
    assert r.exit_code == 0, r.output
    np.testing.assert_array_equal(read_folder(tmp_path / "out"), expected_images(g, 7, 6, truncation=0.5))
    z = sampling.latents(500, 6, seed=1, truncation=0.5)
    assert z.abs().max() <= 0.5 and torch.equal(z, sampling.latents(500, 6, seed=1, truncation=0.5))
    assert sampling.load_generator(ckpt, "mygen:make_generator", {"z_dim": 6, "size": 8}).step == 1200


def test_user_factory_errors(user_model, tmp_path):
    _, ckpt = user_model
    assert_one_line_error(run("sample", "--checkpoint", ckpt, "-o", tmp_path / "a"), "--generator")
    assert_one_line_error(run("sample", "--generator", "mygen", "--checkpoint", ckpt, "-o", tmp_path / "a"),
                          "module:function")
    assert_one_line_error(run("sample", "--generator", "nosuchmod:f", "--checkpoint", ckpt, "-o", tmp_path / "a"),
                          "cannot import nosuchmod")
    assert_one_line_error(run("sample", "--generator", "mygen:make_generator", "--checkpoint", ckpt,
                              "-o", tmp_path / "a"), "does not fit")  # default z_dim=8, the file has 6
    assert_one_line_error(run("sample", "--generator", "mygen:make_generator", "--kwargs", "{bad",
                              "--checkpoint", ckpt, "-o", tmp_path / "a"), "--kwargs")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.png").write_bytes(b"")
    assert_one_line_error(run("sample", "--generator", "mygen:make_generator", "--checkpoint", ckpt,
                              "-o", tmp_path / "full"), "not an empty folder")
    assert_one_line_error(run("sample", "--checkpoint", tmp_path / "missing.pt", "-o", tmp_path / "a"),
                          "no such checkpoint")


class Payload:
    def __reduce__(self):  # what a malicious checkpoint does: run code while being unpickled
        import os
        return (os.system, ("touch pwned",))


def test_malicious_pickle_is_refused_and_nothing_runs(user_model, tmp_path):
    torch.save({"generator": Payload()}, tmp_path / "evil.pt")
    for extra in ([], ["--generator", "mygen:make_generator"]):
        r = run("sample", "--checkpoint", tmp_path / "evil.pt", *extra, "-o", tmp_path / "out")
        assert_one_line_error(r, "--trust-checkpoint", "posix.system")
    assert not (tmp_path / "pwned").exists()
    with pytest.raises(InputError, match="arbitrary unpickling"):
        sampling.load_generator(tmp_path / "evil.pt", "mygen:make_generator")
    assert not (tmp_path / "pwned").exists()


def test_whole_pickled_module_needs_trust(user_model, tmp_path):
    g, _ = user_model
    torch.save(g, tmp_path / "whole.pt")
    assert_one_line_error(run("sample", "--checkpoint", tmp_path / "whole.pt", "-o", tmp_path / "a"),
                          "--trust-checkpoint")
    r = run("sample", "--checkpoint", tmp_path / "whole.pt", "--trust-checkpoint", "--n", 4, "-o", tmp_path / "b",
            "--device", "cpu")
    assert r.exit_code == 0, r.output
    np.testing.assert_array_equal(read_folder(tmp_path / "b"), expected_images(g, 4, 6))


def test_toy_checkpoint_is_refused(tmp_path):
    train(TrainConfig(algo="gan", data="8gaussians", out=str(tmp_path / "toy"), steps=1, eval_every=1,
                      eval_samples=50, eval_critic_steps=2), log=open("/dev/null", "w"))
    ckpt = next((tmp_path / "toy").glob("ckpt_*.pt"))
    assert_one_line_error(run("sample", "--checkpoint", ckpt, "-o", tmp_path / "o"), "points, not images")
