"""`/healthz`: is the database reachable, and has the worker cluster reported lately?

`?scope=web` checks only the database: the web container's Docker healthcheck must not
fail because the workers (another container) are down.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

# The maintenance job runs every minute; three missed beats means the cluster is down.
WORKER_STALE_AFTER = timedelta(minutes=3)


def _database() -> dict[str, object]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "down": report it, never raise
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True}


def _worker() -> dict[str, object]:
    from library.models import WorkerHeartbeat

    beat = WorkerHeartbeat.objects.order_by("-seen_at").first()
    alive = beat is not None and timezone.now() - beat.seen_at < WORKER_STALE_AFTER
    return {"ok": alive, "last_seen": beat.seen_at.isoformat() if beat else None}


@require_safe  # reads only: a write method is 405, never a silent GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database()}
    if request.GET.get("scope") != "web":
        checks["worker"] = _worker() if checks["database"]["ok"] else {"ok": False, "last_seen": None}
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if ok else "degraded", "checks": checks}, status=200 if ok else 503)
