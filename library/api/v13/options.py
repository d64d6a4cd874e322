"""Twelve Labs v1.3 model names and options, and what they mean in Framewise's engine terms.

v1.3 indexes name models (`marengo3.0` with options `visual`, `audio`; `pegasus1.2`) where
v1.2 named engines and our four options. One table, used by the index endpoints and by
search (`search_options`), so both surfaces mean the same thing by `visual` and `audio`.
"""

from __future__ import annotations

from typing import Any

from core.errors import ApplicationError
from library.models.indexes import EMBEDDING_ENGINES, GENERATIVE_ENGINES

EMBEDDING_MODELS = ("marengo3.0", "marengo2.7")
GENERATIVE_MODELS = ("pegasus1.2",)
MODEL_NAMES = EMBEDDING_MODELS + GENERATIVE_MODELS
MODEL_OPTIONS = ("visual", "audio")

# v1.3 option -> our engine options. `visual` covers what is seen: the picture, on-screen text
# and logos; `audio` what is heard (speech). A generative model sees the picture and the speech.
EMBEDDING_OPTIONS: dict[str, tuple[str, ...]] = {
    "visual": ("visual", "text_in_video", "logo"),
    "audio": ("conversation",),
}
GENERATIVE_OPTIONS: dict[str, tuple[str, ...]] = {"visual": ("visual",), "audio": ("conversation",)}

assert set(EMBEDDING_MODELS) <= set(EMBEDDING_ENGINES) and set(GENERATIVE_MODELS) <= set(GENERATIVE_ENGINES)


def engines_for(models: Any) -> list[dict[str, Any]]:
    """The v1.3 `models` list as the engines an Index stores; a 400 naming what is wrong otherwise."""
    if not isinstance(models, list) or not models:
        raise ApplicationError(
            "The models parameter must be a non-empty list of {model_name, model_options}.",
            code="parameter_not_provided" if not models else "parameter_invalid",
        )
    engines: dict[str, list[str]] = {}
    for model in models:
        if not isinstance(model, dict):
            raise ApplicationError("Each model must be an object with model_name and model_options.")
        name, options = model.get("model_name"), model.get("model_options")
        if name not in MODEL_NAMES:
            raise ApplicationError(
                f"The model_name {name!r} is not supported; use one of {', '.join(MODEL_NAMES)}.",
                code="model_not_supported" if name else "parameter_not_provided",
            )
        if not isinstance(options, list) or not options or any(option not in MODEL_OPTIONS for option in options):
            raise ApplicationError(f"The model {name} needs model_options from: {', '.join(MODEL_OPTIONS)}.")
        table = EMBEDDING_OPTIONS if name in EMBEDDING_MODELS else GENERATIVE_OPTIONS
        # A model named twice counts once, with the options of both entries.
        ours = engines.setdefault(name, [])
        ours += [o for option in options for o in table[option] if o not in ours]
    return [{"engine_name": name, "engine_options": options} for name, options in engines.items()]


def model_options(engine_options: list[str]) -> list[str]:
    """Our engine options as v1.3 model options (an index made through v1.2 reads the same way)."""
    present = set(engine_options)
    return [option for option, ours in EMBEDDING_OPTIONS.items() if present & set(ours)]


def models_of(engines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"model_name": engine["engine_name"], "model_options": model_options(engine.get("engine_options", []))}
        for engine in engines
    ]


def engine_options_for(search_options: list[str]) -> set[str]:
    """v1.3 search options (`visual`, `audio`) as the engine options they search."""
    return {ours for option in search_options for ours in EMBEDDING_OPTIONS.get(option, ())}
