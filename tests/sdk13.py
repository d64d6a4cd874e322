"""Run the official Twelve Labs SDK 1.3.x against a live server: scripts in its own virtual environment.

SDK 1.3.x and the v1.2 SDK (0.3.2, requirements-dev.txt) share the import name `twelvelabs`,
so 1.3.x lives in `.venv-sdk13` (`make install-dev`, requirements-sdk13.txt) and a test runs
a short script there as a subprocess. The script sees:

* `client`: `TwelveLabs(api_key=...)` with `TWELVELABS_BASE_URL=<live server>/v1.3`, as a user
  sets it (in SDK 1.x the base URL includes the version);
* `ARGS`: the keyword arguments the test passed (JSON);
* `dump(model)`: a response model as JSON (by alias, so `_id` stays `_id`);
* `caught(call)`: runs `call()` and returns the typed error it raised as
  `{"error": class name, "status": status code, "body": body}` (or `{"error": None, "value": ...}`);
* `result(value)`: what the test gets back (JSON); the last call wins.

Every response the SDK returns has been parsed by its own pydantic models, so a field missing
or of the wrong type fails inside the script, and the test sees the traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRELUDE = """
import json, os, sys, traceback
from twelvelabs import TwelveLabs
from twelvelabs.core.api_error import ApiError

client = TwelveLabs(api_key=os.environ["FRAMEWISE_TEST_API_KEY"])
ARGS = json.loads(os.environ["FRAMEWISE_TEST_ARGS"])
_RESULT = os.environ["FRAMEWISE_TEST_RESULT"]


def dump(model):
    if isinstance(model, list):
        return [dump(item) for item in model]
    if hasattr(model, "model_dump"):
        return model.model_dump(mode="json", by_alias=True, exclude_none=False)
    return model


def caught(call):
    try:
        value = call()
    except ApiError as error:
        return {"error": type(error).__name__, "status": error.status_code, "body": error.body}
    return {"error": None, "value": dump(value)}


def result(value):
    with open(_RESULT, "w") as handle:
        json.dump(value, handle, default=str)
"""


def sdk13_python() -> Path:
    configured = os.environ.get("FRAMEWISE_SDK13_PYTHON")
    return Path(configured) if configured else ROOT / ".venv-sdk13" / "bin" / "python"


class Sdk13:
    """Runs scripts with SDK 1.3.x against `base_url` (the live server's /v1.3) as the holder of `api_key`."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url
        self.api_key = api_key
        python = sdk13_python()
        if not python.exists():
            pytest.fail(f"{python} is missing: `make install-dev` creates the SDK 1.3 virtual environment")
        self.python = python

    def run(
        self, script: str, *, helpers: str = "", api_key: str | None = None, timeout: float = 180, **args: Any
    ) -> Any:
        """Run `script` (after `helpers`, shared definitions) and return what it passed to `result()`."""
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / "script.py"
            result = Path(folder) / "result.json"
            source.write_text("\n".join((PRELUDE, textwrap.dedent(helpers), textwrap.dedent(script))))
            env = {
                "PATH": os.environ.get("PATH", ""),
                "HOME": folder,
                "TWELVELABS_BASE_URL": self.base_url,
                "FRAMEWISE_TEST_API_KEY": api_key or self.api_key,
                "FRAMEWISE_TEST_ARGS": json.dumps(args),
                "FRAMEWISE_TEST_RESULT": str(result),
            }
            done = subprocess.run(  # noqa: S603 - our own interpreter and script
                [str(self.python), str(source)],
                env=env,
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
            if done.returncode != 0:
                sys.stderr.write(done.stdout)
                pytest.fail(f"SDK 1.3 script failed ({done.returncode}):\n{done.stderr[-6000:]}")
            return json.loads(result.read_text()) if result.exists() else None
