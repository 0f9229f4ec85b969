"""Every role may read the rule-change history; nobody edits it."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    config = apps.get_app_config("mappings")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.get(
        content_type__app_label="mappings", codename="view_mappingchange"
    )
    for group in Group.objects.filter(name__in=["finance", "ops", "viewer"]):
        group.permissions.add(view)


class Migration(migrations.Migration):
    dependencies = [
        ("mappings", "0002_history"),
        ("sync", "0002_permission_groups"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
