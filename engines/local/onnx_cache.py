"""Running a torch image network with ONNX Runtime, exported once into the model cache.

EfficientNet-Lite0 is made of depthwise convolutions, which torch's eager CPU kernels
run slowly: measured here on one thread, batch 8 at 224 px, 39 ms per frame in torch
eager, 29 ms traced and frozen, 11 ms in ONNX Runtime (already installed for RapidOCR).
So the network is exported once with torch's exporter (which needs the `onnx` package)
into the cache folder, under a name that carries the weights' package version, and
later processes only load the file.

The export is written under a temporary name, checked against torch on a fixed input,
and renamed into place under a lock: a crash or a concurrent worker never sees half a
file. Any failure leaves the caller on torch (slower, same numbers).
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

# The largest difference from torch's output (logits) an export may have: float32
# rounding gives ~1e-5; a wrong graph gives differences of whole units.
MAX_DIFFERENCE = 1e-3


class OnnxNetwork:
    """An ONNX Runtime session on one thread: `run(batch)` (one float input) or
    `run_named(inputs)` -> first output."""

    def __init__(self, path: Path) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # One thread: the decoding thread, OCR and whisper's child share the other core; a
        # web process answers one query per request thread.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        self.path = path

    def run(self, batch: np.ndarray) -> np.ndarray:
        return self.run_named({self._input: np.ascontiguousarray(batch, dtype=np.float32)})

    def run_named(self, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.asarray(self._session.run(None, dict(inputs))[0])


def exported_network(
    network: Any,
    *,
    name: str,
    cache_dir: Path,
    input_shape: tuple[int, ...] | None = None,
    example: Mapping[str, np.ndarray] | None = None,
    dynamic_axes: Mapping[str, Mapping[int, str]] | None = None,
) -> OnnxNetwork | None:
    """`network` (a torch module in eval mode) as an ONNX Runtime session, exporting it
    into `cache_dir/<name>.onnx` the first time; None when that cannot be done.

    An image network takes one float input of `input_shape` (batch axis dynamic); any
    other network names its inputs by an `example` and their `dynamic_axes`."""
    target = cache_dir / f"{name}.onnx"
    if example is None:
        assert input_shape is not None
        example = {"pixels": np.random.default_rng(0).standard_normal(input_shape).astype(np.float32)}
        dynamic_axes = {"pixels": {0: "batch"}}
    try:
        if not target.is_file():
            _export(network, target, example, dynamic_axes or {})
        return OnnxNetwork(target)
    except Exception as exc:  # noqa: BLE001 - any failure keeps the (slower) torch network
        logger.warning("ONNX export of %s failed, running it in torch: %s: %s", name, type(exc).__name__, exc)
        return None


def _export(
    network: Any, target: Path, example: Mapping[str, np.ndarray], dynamic_axes: Mapping[str, Mapping[int, str]]
) -> None:
    import torch

    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.stem}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second worker waits here, then finds the file
        if target.is_file():
            return
        tensors = tuple(torch.from_numpy(value) for value in example.values())
        with torch.inference_mode():
            expected = network(*tensors).numpy()
        descriptor, staging = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=".onnx", dir=target.parent)
        os.close(descriptor)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the exporter's notes on tracing and deprecations
                torch.onnx.export(
                    network, tensors, staging, input_names=list(example), output_names=["output"],
                    dynamic_axes={**{key: dict(axes) for key, axes in dynamic_axes.items()}, "output": {0: "batch"}},
                    dynamo=False, opset_version=17,
                )  # fmt: skip
            difference = float(np.abs(OnnxNetwork(Path(staging)).run_named(example) - expected).max())
            if difference > MAX_DIFFERENCE:
                raise RuntimeError(f"the export differs from torch by {difference:.2g}")
            os.chmod(staging, 0o644)  # mkstemp's 0600 would hide it from workers of other users
            os.replace(staging, target)
        finally:
            if os.path.exists(staging):
                os.unlink(staging)
