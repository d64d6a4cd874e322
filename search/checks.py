"""Start-up check: a forced pgvector backend needs PostgreSQL with the `vector` extension."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.db import DatabaseError, connection

from library import vector_store


@register()
def vector_backend(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Only a forced `pgvector` touches the database here; `auto` and `memory` start anywhere."""
    if settings.FRAMEWISE_VECTOR_BACKEND != "pgvector":
        return []
    hint = (
        "Use PostgreSQL with pgvector >= 0.8 (the pgvector/pgvector images, a managed PostgreSQL offering "
        "`vector`, or tools/embedded_pg.py for development), or set FRAMEWISE_VECTOR_BACKEND=auto."
    )
    if connection.vendor != "postgresql":
        return [
            Error(
                f"FRAMEWISE_VECTOR_BACKEND=pgvector needs PostgreSQL; the database is {connection.vendor}.",
                hint=hint,
                id="search.E001",
            )
        ]
    try:
        available = vector_store.extension_available(connection)
    except DatabaseError as error:
        return [Error(f"FRAMEWISE_VECTOR_BACKEND=pgvector: cannot ask the database ({error}).", id="search.E002")]
    if not available:
        return [
            Error(
                "FRAMEWISE_VECTOR_BACKEND=pgvector but this PostgreSQL server has no `vector` extension installed.",
                hint=hint,
                id="search.E003",
            )
        ]
    return []
