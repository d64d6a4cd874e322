"""drf-spectacular plumbing: the `x-api-key` security scheme and the paths the schema lists.

`/v1.1/` serves the same views as `/v1.2/` (the older SDKs' prefix), so the schema
lists `/v1.2/` once instead of every operation twice.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from core.auth import HEADER


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "core.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": HEADER}


def without_v11_aliases(endpoints: list[tuple[str, str, str, Any]], **kwargs: Any) -> list[tuple[str, str, str, Any]]:
    """PREPROCESSING_HOOKS: drop the /v1.1/ copies of the /v1.2/ operations."""
    return [endpoint for endpoint in endpoints if not endpoint[0].startswith("/v1.1/")]


def strict_compat_bodies(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS: the compat bodies (library/api/compat/schema.py, `*Body`) refuse unknown keys.

    The views answer `parameter_unknown` for a key they do not know, as Twelve Labs does;
    the schema says so, or a client generated from it would send keys that fail.
    """
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith(("BodyRequest", "QueryObjectRequest")) and component.get("type") == "object":
            component["additionalProperties"] = False
    return result
