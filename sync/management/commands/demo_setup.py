"""Make the embedded default usable at once: a demo admin, the demo Shopify source and
a demo connection to the bundled sandbox that it feeds. Embedded mode only."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from commerce.management.commands.demo_data import demo_source
from mappings.services import mapping_set_ensure_default
from sync.models import Connection

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "intacct-hub-demo"  # noqa: S105 — embedded demo only, printed on start


class Command(BaseCommand):
    help = "Create the demo admin and a connection to the bundled Intacct sandbox."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, base_url, **options):
        if not settings.EMBEDDED:
            raise CommandError("demo_setup only runs with HUB_ENV=embedded")
        self.ensure_admin()
        if settings.SANDBOX_ENABLED:
            self.ensure_sandbox_connection(base_url.rstrip("/"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo admin: {base_url}/admin/  user {DEMO_USERNAME!r} "
                f"password {DEMO_PASSWORD!r}"
            )
        )

    def ensure_admin(self):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()

    def ensure_sandbox_connection(self, base_url):
        from sandbox.company import demo_credentials

        creds = demo_credentials()
        mapping_set, _ = mapping_set_ensure_default()
        connection, _ = Connection.objects.update_or_create(
            slug="sandbox-demo",
            defaults={
                "name": "Bundled Intacct sandbox",
                "environment": Connection.Environment.SANDBOX,
                "api_base_url": f"{base_url}/sandbox",
                "company_id": creds["company_id"],
                "sender_id": creds["sender_id"],
                "sender_password": creds["sender_password"],
                "user_id": creds["user_id"],
                "user_password": creds["user_password"],
                "oauth_client_id": creds["client_id"],
                "oauth_client_secret": creds["client_secret"],
                "mapping_set": mapping_set,
            },
        )
        connection.sources.add(demo_source())
