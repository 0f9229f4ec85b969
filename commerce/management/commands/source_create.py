"""manage.py source_create --kind shopify|ingest|api2cart --slug SLUG [--secret S]"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from commerce.services import source_create


class Command(BaseCommand):
    help = "Create a source and print its webhook secret or API token (shown once)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--kind", required=True, choices=["shopify", "ingest", "api2cart", "csv"]
        )
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name")
        parser.add_argument(
            "--secret",
            help="shopify: the app's webhook secret (generated if left out); "
            "api2cart: the store key.",
        )
        parser.add_argument("--api-key", help="api2cart: the account API key.")
        parser.add_argument("--api-url", help="api2cart: API base URL override.")

    def handle(self, *args, kind, slug, name, secret, api_key, api_url, **options):
        settings = {"api_url": api_url} if api_url else {}
        try:
            source, shown = source_create(
                kind=kind,
                slug=slug,
                name=name,
                secret=secret,
                api_key=api_key,
                settings=settings,
            )
        except (ValueError, ValidationError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"Created {kind} source {source.slug!r}."))
        if kind == "shopify":
            self.stdout.write(f"Webhook URL: /webhooks/shopify/{source.slug}/")
            self.stdout.write(f"Webhook secret (shown once): {shown}")
        elif kind == "ingest":
            self.stdout.write(f"Records URL: /api/v1/sources/{source.slug}/records/")
            self.stdout.write(f"API token (shown once, only its hash is kept): {shown}")
