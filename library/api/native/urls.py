from __future__ import annotations

from rest_framework.routers import DefaultRouter

from library.api.native import generation, search
from library.api.native.views import IndexViewSet, TaskViewSet, VideoViewSet
from taxonomy.api.native import register as register_taxonomy

router = DefaultRouter()
router.register("indexes", IndexViewSet, basename="native-index")
router.register("videos", VideoViewSet, basename="native-video")
router.register("tasks", TaskViewSet, basename="native-task")
register_taxonomy(router)

urlpatterns = router.urls + search.urlpatterns + generation.urlpatterns
