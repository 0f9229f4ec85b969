"""Source lifecycle services used by commands and the admin."""

import secrets

from django.db import transaction

from .models import Source


def source_create(*, kind, slug, name=None, secret=None, api_key=None, settings=None):
    """Create a source and return (source, credential to show once).

    shopify: the webhook secret (given, or generated); ingest: a new bearer token;
    api2cart: ``secret`` is the store key and ``api_key`` the account key.
    """
    if kind not in Source.Kind.values:
        raise ValueError(f"kind must be one of {', '.join(Source.Kind.values)}")
    with transaction.atomic():
        source = Source(
            kind=kind,
            slug=slug,
            name=name or slug.replace("-", " ").title(),
            settings=settings or {},
        )
        shown = None
        if kind == Source.Kind.SHOPIFY:
            shown = secret or secrets.token_urlsafe(32)
            source.webhook_secret = shown
        elif kind == Source.Kind.INGEST:
            shown = source.issue_api_token()
        elif kind == Source.Kind.API2CART:
            if not (secret and api_key):
                raise ValueError("api2cart needs --api-key and --secret (store key)")
            source.poll_api_key, source.poll_store_key = api_key, secret
        source.full_clean()
        source.save()
    return source, shown
