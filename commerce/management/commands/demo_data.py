"""manage.py demo_data --orders N --seed S [--url URL] [--process]

Delivers realistic Shopify traffic through the real, signed webhook endpoint: in
process through the WSGI application (default), or over HTTP to --url.
"""

import json
import secrets
from collections import Counter
from contextlib import contextmanager

import httpx
from django.core.management.base import BaseCommand
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections

from commerce.deliveries import deliveries_process
from commerce.demo import demo_traffic
from commerce.models import InboundDelivery, Source
from commerce.sources.shopify import sign

DEMO_SLUG = "demo-shop"


class Command(BaseCommand):
    help = "Send realistic, signed Shopify webhooks for the demo-shop source."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=100)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--url", help="Base URL of a running hub (default: in process)."
        )
        parser.add_argument(
            "--process",
            action="store_true",
            help="Normalize the deliveries now instead of leaving them to qcluster.",
        )

    def handle(self, *args, orders, seed, url, process, **options):
        source = demo_source()
        deliveries = demo_traffic(orders=orders, seed=seed)
        statuses = Counter()
        with client_for(url) as client:
            for delivery in deliveries:
                body = json.dumps(delivery.body).encode()
                response = client.post(
                    f"/webhooks/shopify/{source.slug}/",
                    content=body,
                    headers={
                        "Content-Type": "application/json",
                        "X-Shopify-Topic": delivery.topic,
                        "X-Shopify-Hmac-Sha256": sign(source.webhook_secret, body),
                        "X-Shopify-Webhook-Id": delivery.webhook_id,
                        "X-Shopify-Shop-Domain": "demo-shop.myshopify.com",
                        "X-Shopify-API-Version": "2024-07",
                    },
                )
                statuses[response.status_code] += 1
        self.stdout.write(
            f"Sent {len(deliveries)} webhooks for {orders} orders (seed {seed}): "
            + ", ".join(f"HTTP {code} × {n}" for code, n in sorted(statuses.items()))
        )
        if process:
            self.process_pending(source)

    def process_pending(self, source):
        pending = list(
            InboundDelivery.objects.filter(
                source=source, status=InboundDelivery.Status.RECEIVED
            ).values_list("pk", flat=True)
        )
        while deliveries_process(source_id=source.pk):
            pass  # a task stops after 25 batches of 200 (and queues a successor)
        outcome = Counter(
            InboundDelivery.objects.filter(pk__in=pending).values_list(
                "status", flat=True
            )
        )
        self.stdout.write(
            "Normalized: " + ", ".join(f"{k} {v}" for k, v in sorted(outcome.items()))
        )


def demo_source():
    source, created = Source.objects.get_or_create(
        slug=DEMO_SLUG,
        defaults={"name": "Demo shop", "kind": Source.Kind.SHOPIFY},
    )
    if not source.webhook_secret:
        source.webhook_secret = secrets.token_urlsafe(32)
        source.save(update_fields=["webhook_secret", "updated_at"])
    return source


@contextmanager
def client_for(url):
    if url:
        with httpx.Client(base_url=url.rstrip("/"), timeout=30) as client:
            yield client
        return
    # Through the real WSGI stack (middleware, URLconf, views), without a server.
    # In process the requests share this command's database connection, so it must
    # not be closed after each one (Django's test client does the same).
    transport = httpx.WSGITransport(app=get_wsgi_application())
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with httpx.Client(transport=transport, base_url="http://127.0.0.1") as client:
            yield client
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
