"""`/healthz`: is the database reachable, and has the worker cluster reported lately?"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

# The maintenance job runs every minute; three missed beats means the cluster is down.
WORKER_STALE_AFTER = timedelta(minutes=3)


def healthz(request: HttpRequest) -> JsonResponse:
    from library.models import WorkerHeartbeat

    checks: dict[str, dict[str, object]] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True}
    except Exception as exc:  # any driver error means "down"; report, don't raise
        checks["database"] = {"ok": False, "error": exc.__class__.__name__}
    if checks["database"]["ok"]:
        beat = WorkerHeartbeat.objects.order_by("-seen_at").first()
        alive = beat is not None and timezone.now() - beat.seen_at < WORKER_STALE_AFTER
        checks["worker"] = {"ok": alive, "last_seen": beat.seen_at.isoformat() if beat else None}
    else:
        checks["worker"] = {"ok": False, "last_seen": None}
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if ok else "degraded", "checks": checks}, status=200 if ok else 503)
