from django.contrib import admin
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import include, path

from sync import mapping_preview
from sync.record_state import record_state


def healthz(request):
    """Liveness for load balancers: answers without touching the database."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", lambda request: redirect("admin:index")),
    path("healthz", healthz, name="healthz"),
    path(
        "mappings/preview/",
        admin.site.admin_view(mapping_preview.preview),
        name="mapping-preview",
    ),
    path(
        "mappings/<int:pk>/repost-failed/",
        admin.site.admin_view(mapping_preview.repost),
        name="mapping-repost",
    ),
    path("admin/", admin.site.urls),
    path("dashboard/", include("sync.dashboard.urls")),
    path("", include("commerce.urls")),
    path(
        "api/v1/sources/<slug:slug>/records/<str:kind>/<str:external_id>/",
        record_state,
        name="sync-record-state",
    ),
]

admin.site.site_header = "Intacct Hub"
admin.site.site_title = "Intacct Hub"
admin.site.index_title = "Integration dashboard"
