"""Routes of the Twelve Labs compatible API, mounted under /v1.2/ and /v1.1/.

Every route matches with and without a trailing slash: the SDK never follows
redirects and the seeds call `/search/` with one.
"""

from __future__ import annotations

from library.api.compat import generate, indexes, tasks, videos
from library.api.compat.common import ID, route

urlpatterns = [
    route("engines", indexes.EngineListView, "engines"),
    route(f"engines/{ID.format('engine_id')}", indexes.EngineDetailView, "engine"),
    route("indexes", indexes.IndexListView, "indexes"),
    route(f"indexes/{ID.format('index_id')}", indexes.IndexDetailView, "index"),
    route(f"indexes/{ID.format('index_id')}/videos", videos.VideoListView, "videos"),
    route(f"indexes/{ID.format('index_id')}/videos/{ID.format('video_id')}", videos.VideoDetailView, "video"),
    route(
        f"indexes/{ID.format('index_id')}/videos/{ID.format('video_id')}/transcription",
        videos.TranscriptionView,
        "video-transcription",
    ),
    route(
        f"indexes/{ID.format('index_id')}/videos/{ID.format('video_id')}/text-in-video",
        videos.TextInVideoView,
        "video-text-in-video",
    ),
    route(f"indexes/{ID.format('index_id')}/videos/{ID.format('video_id')}/logo", videos.LogoView, "video-logo"),
    route(
        f"indexes/{ID.format('index_id')}/videos/{ID.format('video_id')}/concepts",
        videos.ConceptsView,
        "video-concepts",
    ),
    route(
        f"indexes/{ID.format('index_id')}/videos/{ID.format('video_id')}/thumbnail",
        videos.ThumbnailView,
        "video-thumbnail",
    ),
    route("tasks", tasks.TaskListView, "tasks"),
    route("tasks/status", tasks.TaskStatusView, "task-status"),
    route("tasks/external-provider", tasks.ExternalProviderView, "task-external-provider"),
    route(f"tasks/{ID.format('task_id')}", tasks.TaskDetailView, "task"),
]

# Each capability owns its routes; search's and classification's are added where config composes
# the API (config/api_routes.py).
urlpatterns += generate.urlpatterns
