from django.apps import AppConfig


class MappingsConfig(AppConfig):
    name = "mappings"
    verbose_name = "Mappings and policy"

    def ready(self):
        from . import history

        history.connect()
