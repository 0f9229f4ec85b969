from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "sync"
    verbose_name = "Sync to Intacct"

    def ready(self):
        from commerce.signals import record_stored

        from . import catalog, tasks

        record_stored.connect(tasks.on_record_stored, dispatch_uid="sync-plan-record")
        catalog.register()  # target-field checks for the mappings admin
