"""Re-encrypt every stored secret under the first key of HUB_ENCRYPTION_KEYS."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from intacct_hub.crypto import EncryptedTextField


class Command(BaseCommand):
    help = "Re-encrypt all secrets with the current primary key, so old keys can go."

    def handle(self, *args, **options):
        for model in apps.get_models():
            fields = [
                f.name for f in model._meta.fields if isinstance(f, EncryptedTextField)
            ]
            if not fields:
                continue
            count = 0
            with transaction.atomic():
                for row in model.objects.select_for_update().only("pk", *fields):
                    # Loading decrypts with whichever key made it; saving encrypts
                    # with the primary key.
                    row.save(update_fields=fields)
                    count += 1
            self.stdout.write(f"{model._meta.label}: {count} rows re-encrypted")
