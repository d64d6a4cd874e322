from __future__ import annotations

from rest_framework.routers import DefaultRouter

from library.api.native.views import IndexViewSet, TaskViewSet, VideoViewSet

router = DefaultRouter()
router.register("indexes", IndexViewSet, basename="native-index")
router.register("videos", VideoViewSet, basename="native-video")
router.register("tasks", TaskViewSet, basename="native-task")

urlpatterns = router.urls
