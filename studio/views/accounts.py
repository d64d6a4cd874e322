"""Logging in and out of the pages (Django's own views, our templates)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy


class StudioLoginView(auth_views.LoginView):
    template_name = "studio/login.html"
    redirect_authenticated_user = True
    next_page = reverse_lazy("studio:library")  # type: ignore[assignment]  # a lazy str is a str at run time; the stubs say str only


class StudioLogoutView(auth_views.LogoutView):
    # POST only (Django's rule): a link or a prefetch can never log anyone out.
    next_page = reverse_lazy("studio:login")  # type: ignore[assignment]  # as above
