"""The hub's three roles as permission groups. Connections (Intacct credentials) are
for superusers only: no group gets any permission on sync.Connection."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Models every role may look at (Connection is deliberately absent).
VIEWABLE = {
    "commerce": ["source", "sourcerecord"],
    "mappings": [
        "mappingset",
        "fieldmapping",
        "valuemap",
        "valuemapentry",
        "ownershiprule",
        "postingpolicy",
    ],
    "sync": ["externalref", "syncrun", "posting", "postingattempt", "failure"],
    "django_q": ["task", "success", "failure", "schedule", "ormq"],
}
OPS_EDITS = {
    "commerce": ["source"],
    "mappings": VIEWABLE["mappings"],
}
GROUPS = {
    "viewer": [],
    "finance": [("sync", "resolve_failure"), ("sync", "trigger_resync")],
    "ops": [("sync", "trigger_resync")],
}


def codenames_for(app_label, model, actions):
    return [(app_label, f"{action}_{model}") for action in actions]


def wanted_permissions(group):
    wanted = list(GROUPS[group])
    for app_label, models in VIEWABLE.items():
        for model in models:
            wanted += codenames_for(app_label, model, ["view"])
    if group == "ops":
        for app_label, models in OPS_EDITS.items():
            for model in models:
                wanted += codenames_for(app_label, model, ["add", "change", "delete"])
    return wanted


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate); make them
    # now so the groups can hold them on a fresh database.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name in GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in wanted_permissions(name):
            permission = Permission.objects.get(
                content_type__app_label=app_label, codename=codename
            )
            group.permissions.add(permission)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0001_initial"),
        ("commerce", "0001_initial"),
        ("mappings", "0001_initial"),
        ("django_q", "__latest__"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
