"""Finance fixes the failures it owns: a missing value-map entry (an unmapped SKU or
payment gateway) is added by the controller from the failure page, so finance may
edit value maps and their entries ("which value") — not field mappings, ownership
rules or posting policies ("which field", "who owns what")."""

from django.db import migrations

# Entries are edited inline on their value map, which takes change_valuemap.
CODENAMES = ["change_valuemap", "add_valuemapentry", "change_valuemapentry"]


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="mappings", codename__in=CODENAMES
    )
    for group in Group.objects.filter(name="finance"):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="mappings",
        codename__in=CODENAMES,
    )
    for group in Group.objects.filter(name="finance"):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("sync", "0009_ledger"), ("mappings", "0003_history_permissions")]

    operations = [migrations.RunPython(grant, revoke)]
