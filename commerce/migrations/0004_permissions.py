"""Let the hub's roles see the new inbound models; ops may also reprocess deliveries.

Adds to the groups made by sync/0002 (which stays untouched).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW = ["view_inbounddelivery", "view_ingestrequest"]
GRANTS = {
    "viewer": VIEW,
    "finance": VIEW,
    "ops": [*VIEW, "reprocess_inbounddelivery"],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("commerce")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="commerce", codename__in=codenames
            )
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="commerce",
        codename__in={c for codes in GRANTS.values() for c in codes},
    )
    for group in Group.objects.filter(name__in=GRANTS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0003_schedules"),
        ("sync", "0002_permission_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
