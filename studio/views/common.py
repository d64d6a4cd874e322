"""What every page view shares: the login requirement and the page query helpers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

# Pages send anonymous visitors to our login page, not the admin's (settings.LOGIN_URL).
page_login_required = login_required(login_url="studio:login")


def paginate(request: HttpRequest, items: QuerySet | list, *, per_page: int) -> Page:
    """The requested page; a missing, malformed or out-of-range number gives the nearest page."""
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    """The current filters as a query string, for pagination links that keep them."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
