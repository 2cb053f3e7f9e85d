"""The helpdesk's pages, and the admin (closedloop's cases, outbox and dead letters)."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("tickets.urls")),
]
