"""Routes of the Twelve Labs v1.3 surface, mounted under /v1.3/ beside /v1.2/.

Every route matches with and without a trailing slash (the 1.3 SDK's HTTP client follows
redirects, which would turn a POST into a GET). `assets/multipart-uploads` comes before
`assets/{id}`. Search, analyze and embed routes are added where they are built.
"""

from __future__ import annotations

from django.urls import URLPattern, re_path

from library.api.compat.common import ID, route
from library.api.v13 import analyze, assets, indexed_assets, indexes, multipart, tasks
from library.api.v13.unsupported import FEATURES, UnsupportedView

INDEX = ID.format("index_id")
ASSET = ID.format("asset_id")
UPLOAD = ID.format("upload_id")

urlpatterns: list[URLPattern] = [
    route("indexes", indexes.IndexListView, "v13-indexes"),
    route(f"indexes/{INDEX}", indexes.IndexDetailView, "v13-index"),
    route(f"indexes/{INDEX}/indexed-assets", indexed_assets.IndexedAssetListView, "v13-indexed-assets"),
    route(
        f"indexes/{INDEX}/indexed-assets/{ID.format('indexed_asset_id')}",
        indexed_assets.IndexedAssetDetailView,
        "v13-indexed-asset",
    ),
    route(f"indexes/{INDEX}/videos", indexed_assets.VideoListView, "v13-videos"),
    route(f"indexes/{INDEX}/videos/{ID.format('video_id')}", indexed_assets.VideoDetailView, "v13-video"),
    route("assets/multipart-uploads", multipart.UploadListView, "v13-multipart-uploads"),
    route(f"assets/multipart-uploads/{UPLOAD}", multipart.UploadDetailView, "v13-multipart-upload"),
    route(f"assets/multipart-uploads/{UPLOAD}/presigned-urls", multipart.PresignedUrlsView, "v13-multipart-urls"),
    route(
        rf"assets/multipart-uploads/{UPLOAD}/chunks/(?P<chunk_index>[0-9]+)/(?P<token>[0-9]+-[0-9a-f]+)",
        multipart.ChunkView,
        "v13-multipart-chunk",
    ),
    route("assets", assets.AssetListView, "v13-assets"),
    route(f"assets/{ASSET}", assets.AssetDetailView, "v13-asset"),
    route(f"assets/{ASSET}/user-metadata", assets.AssetMetadataView, "v13-asset-metadata"),
    route(f"assets/{ASSET}/transcription", assets.AssetTranscriptionView, "v13-asset-transcription"),
    route(f"assets/{ASSET}/indexed-assets", assets.AssetIndexedAssetsView, "v13-asset-indexed-assets"),
    route("tasks", tasks.TaskListView, "v13-tasks"),
    route(f"tasks/{ID.format('task_id')}", tasks.TaskDetailView, "v13-task"),
    *analyze.urlpatterns,
]

# What the SDK has and Framewise does not: a 400 `feature_not_supported` on every path under each
# (unnamed routes: they change nothing, so the permission matrix has nothing to try).
urlpatterns += [re_path(rf"^{prefix}(?:/.*)?$", UnsupportedView.as_view(feature=prefix)) for prefix in FEATURES]
