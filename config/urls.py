from __future__ import annotations

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.api_routes import compat_urlpatterns, native_urlpatterns, v13_urlpatterns
from config.health import healthz
from library.media import serve_media

handler400 = "core.errors.handler400"
handler404 = "core.errors.handler404"
handler500 = "core.errors.handler500"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    re_path(r"^media/(?P<name>.+)$", serve_media, name="media"),
    # The Twelve Labs compatible surface, under both API versions the seeds use.
    path("v1.2/", include((compat_urlpatterns, "compat"), namespace="v1.2")),
    path("v1.1/", include((compat_urlpatterns, "compat"), namespace="v1.1")),
    # Today's Twelve Labs API (SDK 1.3.x, whose base URL includes /v1.3).
    path("v1.3/", include((v13_urlpatterns, "v13"), namespace="v1.3")),
    # The native API.
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include(native_urlpatterns)),
    # The editors' pages; last, so every prefix above keeps its own routes.
    path("", include("studio.urls")),
]
