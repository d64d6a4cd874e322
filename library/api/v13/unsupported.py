"""Parts of the Twelve Labs v1.3 API that Framewise does not have: a clear 400 instead of a bare 404.

The 1.3 SDK raises its typed `BadRequestError` with our `{code, message}`, so a caller learns
what is missing and why rather than suspecting a wrong base URL. Listed in the README (v1.3).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import ApplicationError
from library.api.v13.common import V13View

FEATURES = {
    "entity-collections": "Entity collections (person search)",
    "analyze/batches": "Batch analysis",
    "embed-v2/batches": "Batch embeddings",
    "knowledge-stores": "Knowledge stores",
    "knowledge-store-items": "Knowledge store items",
    "responses": "Responses (knowledge-store answers)",
    "data-connectors": "Data connectors",
    "imports": "Imports from data connectors",
}


@extend_schema(exclude=True)
class UnsupportedView(V13View):
    feature = ""

    def _refuse(self, request: Request, *args: object, **kwargs: object) -> Response:
        name = FEATURES.get(self.feature, self.feature)
        raise ApplicationError(
            f"{name}: not supported by Framewise's v1.3 API (the README's v1.3 section lists what is).",
            code="feature_not_supported",
        )

    get = post = put = patch = delete = _refuse
