from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "sync"
    verbose_name = "Sync to Intacct"

    def ready(self):
        from commerce.signals import records_stored

        from . import catalog, tasks

        records_stored.connect(
            tasks.on_records_stored, dispatch_uid="sync-plan-records"
        )
        catalog.register()  # target-field checks for the mappings admin
