"""Where a build embeds its chunks: ``auto`` (a CUDA GPU when torch sees one), ``cpu`` or ``cuda``.

On the CPU the encoder runs on ONNX Runtime (`qa.encoder.onnx_forward`); on a GPU it runs on torch in
float16 (`qa.encoder.torch_forward`). torch is imported only to look for a GPU, and only for a
build large enough to gain from one: the import costs a second or two.
"""

from __future__ import annotations

import importlib.util

from qa.errors import ModelError, SettingsError

DEVICES = ("auto", "cpu", "cuda")
# Fewer chunks than this embed on the CPU under ``auto``: importing torch and moving the weights to
# the GPU cost more than a GPU saves on them.
GPU_MIN_CHUNKS = 256


def cuda_available() -> bool:
    """Whether torch is installed and sees a CUDA device."""
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def resolve_device(device: str, chunks: int) -> str:
    """"cpu" or "cuda" for embedding ``chunks`` chunks when ``device`` was asked for."""
    if device not in DEVICES:
        raise SettingsError(f"{device!r} is not a device; use one of {', '.join(DEVICES)}.")
    if device == "cpu" or chunks == 0:
        return "cpu"
    if device == "cuda":
        if not cuda_available():
            raise ModelError("--device cuda needs torch with a CUDA GPU, and none is visible here; build with "
                             "--device cpu (or auto, which uses a GPU only when there is one).")
        return "cuda"
    return "cuda" if chunks >= GPU_MIN_CHUNKS and cuda_available() else "cpu"
