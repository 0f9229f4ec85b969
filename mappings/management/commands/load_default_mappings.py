from django.core.management.base import BaseCommand

from mappings.services import mapping_set_ensure_default


class Command(BaseCommand):
    help = (
        "Create the shipped default mapping set for Shopify-shaped data "
        "(idempotent: an existing set of that name is left as ops edited it)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", help="Name of the set (default: from the file)")

    def handle(self, *args, name=None, **options):
        mapping_set, created = mapping_set_ensure_default(name=name)
        verb = "Created" if created else "Already present:"
        self.stdout.write(
            f"{verb} mapping set {mapping_set.name!r} (id {mapping_set.pk})"
        )
