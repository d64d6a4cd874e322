from __future__ import annotations

from typing import Any

from django.apps import AppConfig


def _worker_started(sender: Any, proc_name: str = "", **kwargs: Any) -> None:
    # /healthz counts the cluster as up once a worker reported: say so as each worker process
    # starts, instead of waiting for the every-minute maintenance job's first run. Only a
    # liveness mark; no work starts here.
    from library.pipeline import worker_heartbeat

    worker_heartbeat()


class LibraryConfig(AppConfig):
    name = "library"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from library import commands, kinds

        commands.register()
        from core.event_types import register_event_types
        from library.models import EventType

        register_event_types(*(t for t in EventType if t != EventType.TEST))
        register_event_types(EventType.TEST, subscribable=False)

        kinds.register_all()  # the maintenance job recovers these (core/jobs.py)

        from django_q.signals import post_spawn

        post_spawn.connect(_worker_started, dispatch_uid="framewise-worker-started")
