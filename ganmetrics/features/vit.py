"""Feature spaces beyond Inception: DINOv2 (FD_DINOv2) and CLIP (CMMD, CLIP-FID) image towers.

The network definitions are timm's (``VisionTransformer``), loaded from the *official* files
(facebookresearch/dinov2 ``*_pretrain.pth`` state dicts; OpenAI CLIP ``.pt`` archives, or their
state dicts) through timm's key conversion (``checkpoint_filter_fn``). Nothing is fetched from a
model hub and no pickled code runs: state dicts are read with ``torch.load(weights_only=True)``,
OpenAI's TorchScript archives by ``read_torchscript_tensors`` (tensors only, no code), and
``.safetensors`` files by safetensors.

Protocols (each the reference code's, and recorded as ``resize`` in every result):

- ``dinov2-vitl14`` / ``dinov2-vitb14`` (FD_DINOv2: Stein et al., NeurIPS 2023, dgm-eval; EDM2's
  ``calculate_metrics.py``): resize to 224 x 224, bicubic, antialiased, in float (EDM2's "torch"
  mode); /255; ImageNet mean/std; the CLS token after the final norm (1024-d / 768-d). The
  official model interpolates its 37 x 37 position embeddings to 16 x 16 with
  ``F.interpolate(scale_factor=(16 + 0.1) / 37, mode="bicubic", antialias=False)``; timm's loader
  would resample with ``size=16, antialias=True``, a different grid. We compute the official one
  (``dinov2_pos_embed``) and load it; tests/features/test_vit.py pins the difference.
- ``clip-vitl14-336`` (CMMD: Jayasumana et al., CVPR 2024, google-research ``cmmd/io_util.py``
  and ``embedding.py``): centre crop to a square, PIL-style bicubic antialiased resize to 336
  (rounded to uint8, as PIL's output is), /255, CLIP mean/std, the projected image embedding,
  L2-normalised (scenic's CLIP returns normalised embeddings), 768-d.
- ``clip-vitb32`` (CLIP-FID: clean-fid ``clip_features.py``, ``img_preprocess_clip``): shorter
  side to 224 bicubic antialiased, centre crop 224, rounded to uint8, /255, CLIP mean/std, the
  projected image embedding (``encode_image``, not normalised), 512-d.

Our antialiased bicubic is torch's (Keys a = -0.5 with the filter widened by the downscale
factor, the filter PIL uses), not PIL itself: on uint8 images the two agree to about one grey
level; this is the same trade EDM2's "torch" mode makes for dgm-eval's PIL resize.
"""
from __future__ import annotations

import math
import pickle
import warnings
import zipfile
from pathlib import Path

import torch
import torch.nn.functional as F

from ..config import resolve_device
from ..errors import WeightsError
from .base import Extractor
from .weights import MANIFEST, find_network_weights, sha256_of

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
CLIP_MEAN, CLIP_STD = (0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)

# name -> (timm architecture, input size, family, protocol)
SPACES = {
    "dinov2-vitl14": ("vit_large_patch14_dinov2", 224, "dinov2", "dgm-eval/EDM2"),
    "dinov2-vitb14": ("vit_base_patch14_dinov2", 224, "dinov2", "dgm-eval/EDM2"),
    "clip-vitl14-336": ("vit_large_patch14_clip_336", 336, "clip", "CMMD"),
    "clip-vitb32": ("vit_base_patch32_clip_224", 224, "clip", "clean-fid"),
}


# ----------------------------------------------------------------------------- reading weights files


class _Opaque:
    """Stands in for any TorchScript class while unpickling: keeps its state, runs nothing."""

    def __init__(self, *args, **kwargs):
        self.state = None

    def __setstate__(self, state):
        self.state = state


class _TensorsOnly(pickle.Unpickler):
    """Unpickles a TorchScript ``data.pkl``: tensors and containers only. Any class under
    ``__torch__`` becomes an inert ``_Opaque``; anything else not on the list is refused."""

    _ALLOWED = {("torch._utils", "_rebuild_tensor_v2"), ("collections", "OrderedDict"),
                ("torch", "FloatStorage"), ("torch", "HalfStorage"), ("torch", "DoubleStorage"),
                ("torch", "BFloat16Storage"), ("torch", "LongStorage"), ("torch", "IntStorage"),
                ("torch", "BoolStorage"), ("torch", "ByteStorage"), ("torch.jit._pickle", "restore_type_tag")}

    def __init__(self, file, archive: zipfile.ZipFile, prefix: str):
        super().__init__(file)
        self.archive, self.prefix = archive, prefix

    def find_class(self, module, name):
        if module.startswith("__torch__"):
            return _Opaque
        if (module, name) in self._ALLOWED:
            if (module, name) == ("torch.jit._pickle", "restore_type_tag"):
                return lambda value, type_str: value
            return getattr(__import__(module, fromlist=[name]), name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")

    def persistent_load(self, pid):
        _, storage_type, key, _location, _numel = pid
        with warnings.catch_warnings():  # the legacy storage classes name the dtype, with a deprecation warning
            warnings.simplefilter("ignore")
            dtype = storage_type.dtype
        data = bytearray(self.archive.read(f"{self.prefix}/data/{key}"))
        untyped = torch.frombuffer(data, dtype=torch.uint8).untyped_storage() if data else torch.UntypedStorage(0)
        return torch.storage.TypedStorage(wrap_storage=untyped, dtype=dtype, _internal=True)


def read_torchscript_tensors(path: str | Path) -> dict[str, torch.Tensor]:
    """The parameters and buffers of a TorchScript archive (OpenAI's CLIP ``.pt`` files) as a
    flat state dict, without executing its code: ``data.pkl`` is read by a restricted unpickler
    and the module tree walked for tensors (``visual.conv1.weight``, ...)."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pkl = next((n for n in names if n.endswith("/data.pkl") and n.count("/") == 1), None)
        if pkl is None:
            raise WeightsError(f"{path}: a zip archive without data.pkl, not a TorchScript or torch file")
        prefix = pkl.split("/")[0]
        with archive.open(pkl) as f:
            try:
                root = _TensorsOnly(f, archive, prefix).load()
            except pickle.UnpicklingError as e:
                raise WeightsError(f"{path}: {e} (only tensors are read from weights files)") from None
    out: dict[str, torch.Tensor] = {}

    def walk(obj, name):
        if isinstance(obj, torch.Tensor):
            out[name] = obj
        elif isinstance(obj, _Opaque):
            walk(obj.state, name)
        elif isinstance(obj, dict):
            for k, v in obj.items():
                if isinstance(k, str) and not k.startswith("_"):
                    walk(v, f"{name}.{k}" if name else k)
        elif isinstance(obj, (tuple, list)) and obj and isinstance(obj[0], dict):
            walk(obj[0], name)  # (attributes, ...) state tuples
    walk(root, "")
    return out


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """A weights file's tensors without running pickled code: ``.safetensors``; a TorchScript
    archive (OpenAI CLIP); else ``torch.load(weights_only=True)``. ``WeightsError`` otherwise."""
    path = Path(path)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file  # here: only safetensors files need it
            return dict(load_file(str(path)))
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                torchscript = any(n.endswith("/constants.pkl") or "/code/" in n for n in z.namelist())
            if torchscript:
                return read_torchscript_tensors(path)
        state = torch.load(path, map_location="cpu", weights_only=True)
    except WeightsError:
        raise
    except Exception as e:  # torch and zipfile raise many types for a truncated or foreign file
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise WeightsError(f"{path}: not a loadable weights file ({first[:200]})") from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"{path}: expected a state dict of tensors, found {type(state).__name__}")
    return state


# ----------------------------------------------------------------------------- DINOv2


def dinov2_pos_embed(pos_embed: torch.Tensor, image_size: int, patch_size: int = 14,
                     offset: float = 0.1) -> torch.Tensor:
    """The official DINOv2 ``interpolate_pos_encoding`` for a square ``image_size`` input:
    the M x M patch grid (M = 37 in the released files) resampled by bicubic interpolation with
    ``scale_factor = (image_size // patch_size + offset) / M``, no antialiasing, in float32; the
    class token's embedding is kept. 1 x (1 + M²) x d -> 1 x (1 + n²) x d."""
    n_patches = pos_embed.shape[1] - 1
    m, n = int(math.isqrt(n_patches)), image_size // patch_size
    if m * m != n_patches:
        raise WeightsError(f"DINOv2 pos_embed has {n_patches} patch positions, not a square grid")
    if m == n:
        return pos_embed
    dtype, pos = pos_embed.dtype, pos_embed.float()
    grid = pos[:, 1:].reshape(1, m, m, -1).permute(0, 3, 1, 2)
    s = float(n + offset) / m
    grid = F.interpolate(grid, scale_factor=(s, s), mode="bicubic", antialias=False)
    if tuple(grid.shape[-2:]) != (n, n):
        raise WeightsError(f"DINOv2 pos_embed resampled to {tuple(grid.shape[-2:])}, expected {(n, n)}")
    return torch.cat([pos[:, :1], grid.permute(0, 2, 3, 1).reshape(1, n * n, -1)], dim=1).to(dtype)


def _timm():
    try:
        import timm  # here: an optional dependency (ganmetrics[spaces]), needed only by these networks
        from timm.models.vision_transformer import checkpoint_filter_fn
    except ImportError:
        raise WeightsError("the DINOv2 and CLIP feature spaces need timm: pip install 'ganmetrics[spaces]'") from None
    return timm, checkpoint_filter_fn


def _load_into(model: torch.nn.Module, state: dict, path: Path, network: str) -> None:
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        own = model.state_dict()
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        detail = (f"{len(missing)} missing keys (e.g. {missing[:2]}), {len(unexpected)} unexpected (e.g. {unexpected[:2]})"
                  if missing or unexpected else str(e).splitlines()[-1].strip())
        raise WeightsError(f"{path}: not {network} weights ({detail})") from None


def build_dinov2(network: str, state: dict, path: Path) -> torch.nn.Module:
    """timm's DINOv2 ViT at 224 px with the official checkpoint's weights and the official
    position-embedding interpolation (``dinov2_pos_embed``)."""
    arch, size = SPACES[network][:2]
    if not {"pos_embed", "cls_token", "patch_embed.proj.weight"} <= set(state) or "visual.proj" in state:
        raise WeightsError(f"{path}: not a DINOv2 checkpoint (no pos_embed / cls_token / patch_embed keys)")
    timm, filter_fn = _timm()
    model = timm.create_model(arch, pretrained=False, img_size=size, num_classes=0)
    state = dict(state)
    state["pos_embed"] = dinov2_pos_embed(state["pos_embed"], size, model.patch_embed.patch_size[0])
    _load_into(model, filter_fn(state, model), path, network)
    return model


# ----------------------------------------------------------------------------- CLIP


def build_clip(network: str, state: dict, path: Path) -> torch.nn.Module:
    """timm's CLIP image tower (QuickGELU, as OpenAI trained it) with an OpenAI CLIP state dict
    (``visual.*`` keys; the text tower is ignored); ``head`` is the projection ``visual.proj``."""
    arch, size = SPACES[network][:2]
    if "visual.proj" not in state or "visual.class_embedding" not in state:
        raise WeightsError(f"{path}: not an OpenAI CLIP checkpoint (no visual.proj / visual.class_embedding)")
    timm, filter_fn = _timm()
    model = timm.create_model(arch, pretrained=False, img_size=size, num_classes=state["visual.proj"].shape[1],
                              act_layer="quick_gelu")
    state = {k: v.float() for k, v in state.items() if k.startswith("visual.")}
    _load_into(model, filter_fn(state, model), path, network)
    return model


# ----------------------------------------------------------------------------- the extractor


def _resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(x.shape[-2:]) == size:
        return x
    return F.interpolate(x, size=size, mode="bicubic", align_corners=False, antialias=True)


def center_crop(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """The centre h x w window (PIL/torchvision's rounding: top = round((H - h) / 2))."""
    top, left = int(round((x.shape[-2] - h) / 2.0)), int(round((x.shape[-1] - w) / 2.0))
    return x[..., top:top + h, left:left + w]


class ViTExtractor(Extractor):
    """A DINOv2 or CLIP image tower with its reference preprocessing (module docstring)."""

    def __init__(self, network: str, model: torch.nn.Module, weights_sha256: str, device):
        arch, size, family, protocol = SPACES[network]
        self.name, self.family, self.protocol = network, family, protocol
        self.device = resolve_device(device)
        self.model = model.eval().requires_grad_(False).to(self.device)
        dim = model.num_features if family == "dinov2" else model.head.out_features
        self.outputs, self.roles = {"embedding": dim}, {"features": "embedding"}
        self.input_size = (size, size)
        mean, std = (IMAGENET_MEAN, IMAGENET_STD) if family == "dinov2" else (CLIP_MEAN, CLIP_STD)
        self.mean = torch.tensor(mean, device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(std, device=self.device).view(1, 3, 1, 1)
        self.weights_sha256 = weights_sha256
        self.preprocessing = {
            "dgm-eval/EDM2": f"bicubic-aa-{size}-float-imagenet-norm",
            "CMMD": f"center-crop-bicubic-aa-{size}-uint8-clip-norm-l2",
            "clean-fid": f"short-side-bicubic-aa-{size}-center-crop-uint8-clip-norm",
        }[protocol]

    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        x = images.float()
        size = self.input_size
        if self.protocol == "CMMD":  # io_util._center_crop_and_resize: square crop, then PIL bicubic
            side = min(x.shape[-2:])
            x = _resize(center_crop(x, side, side), size).round().clamp(0, 255)
        elif self.protocol == "clean-fid":  # Resize(224, BICUBIC) on the shorter side, CenterCrop(224)
            h, w = x.shape[-2:]
            short = size[0]
            new = (short, int(short * w / h)) if h <= w else (int(short * h / w), short)
            x = center_crop(_resize(x, new), *size).round().clamp(0, 255)
        else:  # EDM2's DINOv2Detector, resize_mode="torch"
            x = _resize(x, size)
        return (x / 255 - self.mean) / self.std

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        z = self.model(x).float()
        if self.protocol == "CMMD":
            z = F.normalize(z, dim=-1)
        return {"embedding": z}


def load_space(network: str, weights: str | Path | None = None, device="auto") -> ViTExtractor:
    """Load a built-in DINOv2 / CLIP feature space by name (``SPACES``): find the official file
    (``weights.MANIFEST``; ``--weights NAME=PATH``, its environment variable, or the cache), read
    its tensors without running code, convert the keys for timm. ``WeightsError`` (one line) for a
    missing, unreadable or foreign file."""
    path = find_network_weights(network, weights)
    state = read_state_dict(path)
    build = build_dinov2 if SPACES[network][2] == "dinov2" else build_clip
    model = build(network, state, path)
    return ViTExtractor(network, model, sha256_of(path), device)


def _factory(network: str):
    def factory(weights=None, device="auto"):
        return load_space(network, weights, device)
    factory.__name__ = f"load_{network.replace('-', '_')}"
    factory.__doc__ = f"The {network} feature space ({SPACES[network][3]} protocol; weights: {MANIFEST[network].url})."
    return factory


FACTORIES = {name: _factory(name) for name in SPACES}

__all__ = ["SPACES", "FACTORIES", "load_space", "ViTExtractor", "read_state_dict", "read_torchscript_tensors",
           "dinov2_pos_embed", "build_dinov2", "build_clip", "center_crop"]
