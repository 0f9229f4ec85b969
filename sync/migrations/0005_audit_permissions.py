"""Every role may read the resolution audit trail; nobody edits it."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    config = apps.get_app_config("sync")
    config.models_module = True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.get(
        content_type__app_label="sync", codename="view_auditevent"
    )
    for group in Group.objects.filter(name__in=["finance", "ops", "viewer"]):
        group.permissions.add(view)


class Migration(migrations.Migration):
    dependencies = [("sync", "0004_audit_events")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
