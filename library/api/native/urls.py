"""Library's part of the native API; config/api_routes.py mounts it beside taxonomy's."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

from library.api.native import generation
from library.api.native.views import IndexViewSet, TaskViewSet, VideoViewSet
from library.api.native.webhooks import WebhookEndpointViewSet


def register(router: DefaultRouter) -> None:
    router.register("indexes", IndexViewSet, basename="native-index")
    router.register("videos", VideoViewSet, basename="native-video")
    router.register("tasks", TaskViewSet, basename="native-task")
    router.register("webhooks", WebhookEndpointViewSet, basename="native-webhook")


urlpatterns = generation.urlpatterns
