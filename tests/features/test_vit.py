"""DINOv2 and CLIP feature spaces: random weights in each official file layout, loaded through
the real path (manifest lookup, tensor-only reading, key conversion), against independent forwards
on the same weights: a transcription of the official DINOv2 forward (below) and open_clip's CLIP."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

import ganmetrics
from ganmetrics.errors import WeightsError
from ganmetrics.features import vit
from ganmetrics.features.registry import get_extractor

from helpers import assert_one_line_error, run, smooth_images, write_folder

timm = pytest.importorskip("timm")


# ----------------------------------------------------------------------------- DINOv2


def random_dinov2_checkpoint(dim=768, depth=12, seed=0, grid=37):
    """A state dict with the key names and shapes of facebookresearch/dinov2's *_pretrain.pth
    (ViT-B/14 by default; patch 14, 518 px = 37 x 37 positions, layer scale, mask_token)."""
    g = torch.Generator().manual_seed(seed)
    r = lambda *s, std=0.02: torch.randn(*s, generator=g) * std
    sd = {"cls_token": r(1, 1, dim, std=1.0), "pos_embed": r(1, 1 + grid * grid, dim, std=0.5),
          "mask_token": r(1, dim), "patch_embed.proj.weight": r(dim, 3, 14, 14, std=0.05),
          "patch_embed.proj.bias": r(dim), "norm.weight": 1 + r(dim, std=0.1), "norm.bias": r(dim, std=0.1)}
    for i in range(depth):
        p = f"blocks.{i}."
        sd.update({p + "norm1.weight": 1 + r(dim, std=0.1), p + "norm1.bias": r(dim, std=0.1),
                   p + "attn.qkv.weight": r(3 * dim, dim, std=0.05), p + "attn.qkv.bias": r(3 * dim),
                   p + "attn.proj.weight": r(dim, dim, std=0.03), p + "attn.proj.bias": r(dim),
                   p + "ls1.gamma": r(dim, std=0.3), p + "norm2.weight": 1 + r(dim, std=0.1),
                   p + "norm2.bias": r(dim, std=0.1), p + "mlp.fc1.weight": r(4 * dim, dim, std=0.04),
                   p + "mlp.fc1.bias": r(4 * dim), p + "mlp.fc2.weight": r(dim, 4 * dim, std=0.02),
                   p + "mlp.fc2.bias": r(dim), p + "ls2.gamma": r(dim, std=0.3)})
    return sd


def official_dinov2_forward(sd, x, heads, patch=14, offset=0.1):
    """facebookresearch/dinov2 DinoVisionTransformer.forward (x_norm_clstoken; head = Identity),
    transcribed from the state dict: prepare_tokens_with_masks + interpolate_pos_encoding
    (scale_factor (w0 + 0.1) / M, bicubic, antialias False), NestedTensorBlocks with LayerScale,
    LayerNorm eps 1e-6, exact GELU."""
    b, _, h, w = x.shape
    t = F.conv2d(x, sd["patch_embed.proj.weight"], sd["patch_embed.proj.bias"], stride=patch).flatten(2).transpose(1, 2)
    t = torch.cat([sd["cls_token"].expand(b, -1, -1), t], dim=1)
    pos = sd["pos_embed"].float()
    n_pos = pos.shape[1] - 1
    m = int(math.sqrt(n_pos))
    w0, h0 = w // patch, h // patch
    grid = F.interpolate(pos[:, 1:].reshape(1, m, m, -1).permute(0, 3, 1, 2), mode="bicubic", antialias=False,
                         scale_factor=((w0 + offset) / m, (h0 + offset) / m))
    t = t + torch.cat([pos[:, :1], grid.permute(0, 2, 3, 1).reshape(1, -1, pos.shape[-1])], dim=1)
    depth = len({k.split(".")[1] for k in sd if k.startswith("blocks.")})
    dim = t.shape[-1]
    for i in range(depth):
        p = lambda n: sd[f"blocks.{i}.{n}"]
        y = F.layer_norm(t, (dim,), p("norm1.weight"), p("norm1.bias"), 1e-6)
        qkv = F.linear(y, p("attn.qkv.weight"), p("attn.qkv.bias")).reshape(b, -1, 3, heads, dim // heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * (dim // heads) ** -0.5, qkv[1], qkv[2]
        a = (q @ k.transpose(-2, -1)).softmax(-1)
        y = (a @ v).transpose(1, 2).reshape(b, -1, dim)
        t = t + p("ls1.gamma") * F.linear(y, p("attn.proj.weight"), p("attn.proj.bias"))
        y = F.layer_norm(t, (dim,), p("norm2.weight"), p("norm2.bias"), 1e-6)
        y = F.linear(F.gelu(F.linear(y, p("mlp.fc1.weight"), p("mlp.fc1.bias"))), p("mlp.fc2.weight"), p("mlp.fc2.bias"))
        t = t + p("ls2.gamma") * y
    return F.layer_norm(t, (dim,), sd["norm.weight"], sd["norm.bias"], 1e-6)[:, 0]


@pytest.fixture(scope="module")
def dinov2_b14(tmp_path_factory):
    path = tmp_path_factory.mktemp("w") / "dinov2_vitb14_pretrain.pth"
    sd = random_dinov2_checkpoint()
    torch.save(sd, path)
    return path, sd


def assert_dinov2_matches_official(space, path, sd, heads, images):
    """Our extractor loaded from ``path`` vs EDM2's DINOv2Detector preprocessing (resize_mode
    "torch") followed by the official forward on the same state dict, to 1e-5."""
    ext = get_extractor(features=space, weights=f"{space}={path}", device="cpu")
    ours = ext(images)["embedding"]
    x = F.interpolate(images.float(), size=(224, 224), mode="bicubic", antialias=True) / 255
    x = (x - torch.tensor(vit.IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(vit.IMAGENET_STD).view(1, 3, 1, 1)
    with torch.no_grad():
        ref = official_dinov2_forward(sd, x, heads=heads)
    dim = sd["norm.weight"].shape[0]
    assert ours.shape == (len(images), dim) and ext.dim() == dim
    assert torch.allclose(ours, ref, rtol=1e-5, atol=1e-5 * ref.abs().max()), (ours - ref).abs().max()
    return ext


def test_dinov2_equals_official_forward_on_the_same_weights(dinov2_b14):
    path, sd = dinov2_b14
    images = torch.from_numpy(smooth_images(3, size=48, seed=1)).permute(0, 3, 1, 2)
    ext = assert_dinov2_matches_official("dinov2-vitb14", path, sd, 12, images)
    meta = ext.metadata()
    assert meta["extractor"] == "dinov2-vitb14" and meta["weights_sha256"] == ganmetrics.io.sha256_of(path)


@pytest.mark.slow
def test_dinov2_vitl14_equals_official_forward_on_the_same_weights(tmp_path):
    """The FD_DINOv2 network itself (ViT-L/14: 24 blocks, 1024-d, 16 heads), official key layout."""
    path = tmp_path / "dinov2_vitl14_pretrain.pth"
    sd = random_dinov2_checkpoint(dim=1024, depth=24, seed=3)
    torch.save(sd, path)
    images = torch.from_numpy(smooth_images(2, size=40, seed=4)).permute(0, 3, 1, 2)
    assert_dinov2_matches_official("dinov2-vitl14", path, sd, 16, images)


def test_dinov2_pos_embed_is_the_official_grid_not_timms():
    """Pins the difference the issue asks about: timm's resample (size=16, antialias) is not the
    official scale_factor (16.1 / 37) grid, and we use the official one."""
    from timm.layers import resample_abs_pos_embed
    pos = torch.randn(1, 1 + 37 * 37, 8, generator=torch.Generator().manual_seed(0))
    ours = vit.dinov2_pos_embed(pos, 224)
    timms = resample_abs_pos_embed(pos, (16, 16), num_prefix_tokens=1)
    ref = torch.nn.functional.interpolate(pos[:, 1:].reshape(1, 37, 37, 8).permute(0, 3, 1, 2),
                                          scale_factor=(16.1 / 37, 16.1 / 37), mode="bicubic", antialias=False)
    assert torch.equal(ours[:, 1:], ref.permute(0, 2, 3, 1).reshape(1, 256, 8)) and torch.equal(ours[:, :1], pos[:, :1])
    assert (ours - timms).abs().max() > 0.05  # not a rounding difference: a different resampling


# ----------------------------------------------------------------------------- CLIP


@pytest.fixture(scope="module")
def clip_b32(tmp_path_factory):
    """Random weights in OpenAI's CLIP layout (open_clip's CLIP class keeps OpenAI's key names)."""
    open_clip = pytest.importorskip("open_clip")
    torch.manual_seed(0)
    model = open_clip.create_model("ViT-B-32-quickgelu", pretrained=None).eval()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, p in model.visual.named_parameters():  # LN scales and shifts away from 1 and 0
            if p.ndim == 1:
                p.add_(0.1 * torch.randn(p.shape, generator=g))
    path = tmp_path_factory.mktemp("w") / "ViT-B-32.pt"
    torch.save(model.state_dict(), path)
    assert "visual.proj" in model.state_dict() and "visual.transformer.resblocks.0.attn.in_proj_weight" in model.state_dict()
    return path, model


def test_clip_vitb32_equals_open_clip_on_the_same_weights(clip_b32):
    path, model = clip_b32
    ext = get_extractor(features="clip-vitb32", weights=str(path), device="cpu")
    images = torch.from_numpy(smooth_images(3, size=40, seed=2)).permute(0, 3, 1, 2)
    ours = ext(images)["embedding"]
    with torch.no_grad():
        ref = model.encode_image(ext.preprocess(images))
    assert ours.shape == (3, 512)
    assert torch.allclose(ours, ref, rtol=1e-5, atol=1e-5 * ref.abs().max()), (ours - ref).abs().max()


def test_clip_vitb32_preprocessing_matches_clean_fid():
    """clean-fid 0.1.35 clip_features.img_preprocess_clip (PIL bicubic, shorter side 224, centre
    crop; transcribed: importing it needs OpenAI's clip package), then CLIP_fx's normalisation;
    ours uses torch's antialiased bicubic: about one grey level on average."""
    from torchvision import transforms
    T = transforms.Compose([transforms.Resize(224, interpolation=transforms.InterpolationMode.BICUBIC),
                            transforms.CenterCrop(224)])
    img = smooth_images(2, size=64, seed=3)
    img = np.concatenate([img, img[:, :16]], axis=1)  # 80 x 64: not square
    theirs = np.stack([np.asarray(T(Image.fromarray(i).convert("RGB"))).clip(0, 255).astype(np.uint8)
                       for i in img]).astype(np.float64)
    ext = vit.ViTExtractor.__new__(vit.ViTExtractor)
    ext.protocol, ext.input_size = "clean-fid", (224, 224)
    ext.mean, ext.std = torch.zeros(1, 3, 1, 1), torch.full((1, 3, 1, 1), 1 / 255)
    ours = ext.preprocess(torch.from_numpy(img).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).double().numpy()
    assert ours.shape == theirs.shape
    assert np.abs(ours - theirs).max() <= 3 and np.abs(ours - theirs).mean() < 0.3  # PIL rounds between passes


def test_cmmd_preprocessing_matches_the_release_pil_path():
    """CMMD io_util: centre crop to a square, PIL bicubic to 336 (uint8)."""
    img = smooth_images(1, size=96, seed=4)[0][:, :80]  # 96 x 80
    pil = Image.fromarray(img)
    l = min(pil.size)
    box = ((pil.size[0] - l) // 2, (pil.size[1] - l) // 2, (pil.size[0] - l) // 2 + l, (pil.size[1] - l) // 2 + l)
    theirs = np.asarray(pil.crop(box).resize((336, 336), resample=Image.BICUBIC)).astype(np.float64)
    ext = vit.ViTExtractor.__new__(vit.ViTExtractor)
    ext.protocol, ext.input_size = "CMMD", (336, 336)
    ext.mean, ext.std = torch.zeros(1, 3, 1, 1), torch.full((1, 3, 1, 1), 1 / 255)
    ours = ext.preprocess(torch.from_numpy(img).permute(2, 0, 1)[None])[0].permute(1, 2, 0).double().numpy()
    assert np.abs(ours - theirs).max() <= 3 and np.abs(ours - theirs).mean() < 0.3  # PIL rounds between passes


@pytest.mark.slow
def test_clip_vitl14_336_equals_open_clip_l2_normalised(tmp_path):
    open_clip = pytest.importorskip("open_clip")
    torch.manual_seed(0)
    model = open_clip.create_model("ViT-L-14-336-quickgelu", pretrained=None).eval()
    path = tmp_path / "ViT-L-14-336px.pt"
    torch.save(model.state_dict(), path)
    ext = get_extractor(features="clip-vitl14-336", weights=f"clip-vitl14-336={path}", device="cpu")
    images = torch.from_numpy(smooth_images(2, size=32, seed=5)).permute(0, 3, 1, 2)
    ours = ext(images)["embedding"]
    with torch.no_grad():
        ref = model.encode_image(ext.preprocess(images), normalize=True)
    assert ours.shape == (2, 768) and torch.allclose(ours.norm(dim=1), torch.ones(2), atol=1e-6)
    assert torch.allclose(ours, ref, atol=1e-5)


# ----------------------------------------------------------------------------- weights files


def test_torchscript_archive_is_read_for_tensors_only(tmp_path):
    """OpenAI ships CLIP as TorchScript archives: their tensors are read without running code."""
    class M(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.visual = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4))
            self.proj = torch.nn.Parameter(torch.randn(4, 2).half())

        def forward(self, x):
            return self.visual(x) @ self.proj.float()
    m = M()
    torch.jit.save(torch.jit.trace(m, torch.randn(2, 3)), tmp_path / "m.pt")
    sd = vit.read_state_dict(tmp_path / "m.pt")
    ref = m.state_dict()
    assert sorted(sd) == sorted(ref) and all(torch.equal(sd[k], ref[k]) and sd[k].dtype == ref[k].dtype for k in ref)


class _Evil:
    def __reduce__(self):
        return (print, ("pickled code ran",))


@pytest.mark.parametrize("kind", ["missing", "pickle", "foreign", "garbage"])
def test_bad_weights_are_one_line_exit_2(tmp_path, kind, dinov2_b14, monkeypatch):
    monkeypatch.setenv("GANMETRICS_CACHE", str(tmp_path / "cache"))
    real = write_folder(tmp_path / "real", smooth_images(4, size=32, seed=1))
    path = tmp_path / "w.pth"
    if kind == "pickle":
        torch.save({"x": _Evil()}, path)
    elif kind == "foreign":  # a DINOv2 file given as CLIP
        path = dinov2_b14[0]
    elif kind == "garbage":
        path.write_bytes(b"\x00not weights" * 10)
    net = "dinov2-vitb14" if kind == "missing" else "clip-vitb32"  # dinov2: unpinned, so no download is tried
    args = ["stats", str(real), "-o", str(tmp_path / "s.npz"), "--features", net, "--device", "cpu"]
    if kind != "missing":
        args += ["--weights", f"clip-vitb32={path}"]
    res = run(*args)
    assert_one_line_error(res)
    msg = res.output.strip().splitlines()[-1]
    if kind == "missing":
        assert "https://dl.fbaipublicfiles.com/dinov2/dinov2_vitb14/dinov2_vitb14_pretrain.pth" in msg
        assert "GANMETRICS_DINOV2_VITB14_WEIGHTS" in msg and str(tmp_path / "cache" / "dinov2_vitb14_pretrain.pth") in msg
    elif kind == "foreign":
        assert "not an OpenAI CLIP checkpoint" in msg
    else:
        assert "not a loadable weights file" in msg
    assert "pickled code ran" not in res.output


def test_manifest_lists_every_builtin_space():
    from ganmetrics.features.weights import MANIFEST
    assert set(vit.SPACES) <= set(MANIFEST) and set(vit.SPACES) <= set(ganmetrics.extractor_names())
    for name in ("clip-vitl14-336", "clip-vitb32"):  # OpenAI's folder name is the file's sha256
        assert MANIFEST[name].url.split("/")[-2] == MANIFEST[name].sha256


@pytest.mark.slow
def test_eval_cli_fd_and_cmmd_in_clip_space(clip_b32, tmp_path):
    """`eval --features clip-vitb32 --metrics fid,cmmd`: the numbers equal the metric functions on
    the extractor's own features, the result names its space, and the text reads FD_<space>."""
    import json
    from ganmetrics.cli.output import display_label
    from ganmetrics.metrics.mmd import cmmd
    from ganmetrics.metrics.registry import fid_of_features
    from ganmetrics.result import Result
    path, _ = clip_b32
    ra, rb = smooth_images(12, size=32, seed=1), smooth_images(12, size=32, seed=2, shift=0.1)
    real, fake = write_folder(tmp_path / "real", ra), write_folder(tmp_path / "fake", rb)
    res = run("eval", str(real), str(fake), "--features", "clip-vitb32", "--weights", f"clip-vitb32={path}",
              "--metrics", "fid,cmmd", "--device", "cpu", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    ext = get_extractor(features="clip-vitb32", weights=str(path), device="cpu")
    fa = ext(torch.from_numpy(ra).permute(0, 3, 1, 2))["embedding"].double().numpy()
    fb = ext(torch.from_numpy(rb).permute(0, 3, 1, 2))["embedding"].double().numpy()
    rows = out if isinstance(out, list) else out.get("results", out)
    text = json.dumps(out)
    assert "clip-vitb32" in text
    values = {r["metric"]: r["value"] for r in rows} if isinstance(rows, list) else {k: v for k, v in rows.items()}
    assert values["cmmd"] == pytest.approx(cmmd(fa, fb), rel=1e-4)
    assert values["fid"] == pytest.approx(fid_of_features(fa, fb), rel=1e-3)
    assert display_label(Result("fid", 1.0, {}, metadata={"extractor": "dinov2-vitl14"})) == "FD_dinov2-vitl14"
    assert display_label(Result("fid", 1.0, {}, metadata={"extractor": "inception-v3-fid"})) == "FID"
