"""The machine endpoints of commerce (mounted at the root by intacct_hub.urls)."""

from django.urls import path

from . import api, webhooks

urlpatterns = [
    path(
        "webhooks/shopify/<slug:slug>/",
        webhooks.shopify_webhook,
        name="commerce-shopify-webhook",
    ),
    path(
        "api/v1/sources/<slug:slug>/records/",
        api.records_create,
        name="commerce-records-create",
    ),
    path("api/v1/openapi.json", api.openapi_json, name="commerce-openapi"),
]
