from django.contrib import admin
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import path


def healthz(request):
    """Liveness for load balancers: answers without touching the database."""
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", lambda request: redirect("admin:index")),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "Intacct Hub"
admin.site.site_title = "Intacct Hub"
admin.site.index_title = "Integration dashboard"
