"""The editors' pages, mounted at the site root (the APIs and the admin keep their prefixes)."""

from __future__ import annotations

from django.urls import path

from studio.views import accounts, classification, library, search, taxonomies, videos

app_name = "studio"

urlpatterns = [
    path("", library.library_home, name="library"),
    path("login/", accounts.StudioLoginView.as_view(), name="login"),
    path("logout/", accounts.StudioLogoutView.as_view(), name="logout"),
    path("indexes/<str:index_id>/", library.index_detail, name="index"),
    path("indexes/<str:index_id>/progress.json", library.index_progress, name="index-progress"),
    path("videos/<str:video_id>/", videos.video_detail, name="video"),
    path("videos/<str:video_id>/captions.vtt", videos.video_captions, name="video-captions"),
    path("videos/<str:video_id>/subtitles.<str:fmt>", videos.video_subtitles, name="video-subtitles"),
    path("videos/<str:video_id>/generate/", videos.video_generate, name="video-generate"),
    path("search/", search.search_page, name="search"),
    path("classification/", classification.classification_page, name="classification"),
    path("classification/export.csv", classification.classification_export, name="classification-export"),
    path("taxonomies/", taxonomies.taxonomy_list, name="taxonomies"),
    path("taxonomies/<int:taxonomy_id>/", taxonomies.taxonomy_detail, name="taxonomy"),
]
