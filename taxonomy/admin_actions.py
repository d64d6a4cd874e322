"""Classification entry points on the library's admin pages: two actions and a label filter.

library/admin registers these on its Video and Index admins. The actions only carry the
selection to the "Classify" form of the classification runs (taxonomy/admin.py), where
the editor picks a taxonomy and thresholds.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from core.admin.base import rule_action
from core.rules import actor_for_request
from library.models import Index, Video
from taxonomy import selectors
from taxonomy.commands import TaxonomyCommand
from taxonomy.models import TaxonomyNode

# The selected video ids travel in the session: "select all" over a large library would
# not fit in a URL.
SELECTION_KEY = "taxonomy.classify.videos"


@rule_action(TaxonomyCommand.RUN_CREATE, description="Classify selected videos…")
def classify_selected_videos(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Video]) -> HttpResponseRedirect:
    request.session[SELECTION_KEY] = list(queryset.filter(indexed_at__isnull=False).values_list("id", flat=True))
    return HttpResponseRedirect(reverse("admin:taxonomy_classificationrun_start") + "?" + urlencode({"from": "videos"}))


@rule_action(TaxonomyCommand.RUN_CREATE, description="Classify whole library…")
def classify_whole_library(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Index]) -> HttpResponseRedirect:
    ids = ",".join(queryset.values_list("id", flat=True))
    return HttpResponseRedirect(reverse("admin:taxonomy_classificationrun_start") + "?" + urlencode({"indexes": ids}))


class LabelFilter(admin.SimpleListFilter):
    """Videos by label: a category matches its whole subtree (tier 1 and tier 2 are offered)."""

    title = "label"
    parameter_name = "label"
    max_depth = 2

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        nodes = (
            TaxonomyNode.objects.visible_to(actor_for_request(request).teams())
            .filter(depth__lte=self.max_depth, labels__isnull=False)
            .select_related("taxonomy")
        )
        seen = nodes.distinct().order_by("taxonomy__name", "path")
        return [(str(node.id), f"{node.taxonomy.name}: {node.name_path}") for node in seen]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Video]) -> QuerySet[Video]:
        value = self.value()
        if not value or not value.isdigit():
            return queryset
        node = TaxonomyNode.objects.visible_to(actor_for_request(request).teams()).filter(id=int(value)).first()
        if node is None:
            return queryset.none()
        labeled = selectors.visible_labels_in_subtree(node).values("video_id")
        return queryset.filter(id__in=labeled)
