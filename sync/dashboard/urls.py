from django.urls import path

from . import (
    failure_views,
    reconciliation_views,
    resync_views,
    summary_views,
    views,
)

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("connections/<slug:slug>/resume/", views.resume, name="resume"),
    path("connections/<slug:slug>/test/", views.connection_test, name="test"),
    path("runs/", views.runs, name="runs"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/progress.json", views.run_progress, name="run-progress"),
    path("failures/", failure_views.queue, name="failures"),
    path("failures/export.csv", failure_views.queue_csv, name="failures-csv"),
    path("failures/bulk/", failure_views.bulk, name="failures-bulk"),
    path("failures/<int:pk>/", failure_views.detail, name="failure"),
    path(
        "failures/<int:pk>/<slug:action>/",
        failure_views.act,
        name="failure-act",
    ),
    path("summaries/held/", summary_views.held, name="held-summaries"),
    path(
        "summaries/<int:pk>/release/",
        summary_views.release,
        name="summary-release",
    ),
    path("resync/", resync_views.resync, name="resync"),
    path("resync/start/", resync_views.resync_confirm, name="resync-start"),
    path("reconciliation/", reconciliation_views.report, name="reconciliation"),
    path(
        "reconciliation/export.csv",
        reconciliation_views.report_csv,
        name="reconciliation-csv",
    ),
    path(
        "reconciliation/day/",
        reconciliation_views.day_detail,
        name="reconciliation-day",
    ),
    path("reconciliation/run/", reconciliation_views.run, name="reconciliation-run"),
]
