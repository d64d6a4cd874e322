"""The API surfaces, assembled from each app's routes: `library` owns indexes, tasks, videos and
generation; `search` owns moment search; `taxonomy` owns classification. No app imports another's routes."""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

from library.api.compat import urls as library_compat
from library.api.native import urls as library_native
from library.api.v13 import urls as library_v13
from search.api import compat as search_compat
from search.api import native as search_native
from search.api import v13 as search_v13
from taxonomy.api import compat as taxonomy_compat
from taxonomy.api.native import register as register_taxonomy

# /v1.2/ and /v1.1/: the Twelve Labs compatible surface.
compat_urlpatterns = library_compat.urlpatterns + search_compat.urlpatterns + taxonomy_compat.urlpatterns

# /v1.3/: today's Twelve Labs API (the 1.3 SDK), on the same services as /v1.2/.
v13_urlpatterns = search_v13.urlpatterns + library_v13.urlpatterns

# /api/v1/: the native API.
_router = DefaultRouter()
library_native.register(_router)
register_taxonomy(_router)
native_urlpatterns = _router.urls + library_native.urlpatterns + search_native.urlpatterns
