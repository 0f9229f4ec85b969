"""Periodic work for inbound data, as django-q2 schedules (ids only, no secrets)."""

from django.db import migrations

SCHEDULES = [
    {
        "name": "commerce: poll API2Cart sources",
        "func": "commerce.tasks.api2cart_poll_all",
        "minutes": 5,
    },
    {
        "name": "commerce: re-dispatch deliveries whose task was lost",
        "func": "commerce.tasks.deliveries_redispatch",
        "minutes": 5,
    },
]


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for spec in SCHEDULES:
        Schedule.objects.update_or_create(
            name=spec["name"],
            defaults={
                "func": spec["func"],
                "schedule_type": "I",  # Schedule.MINUTES
                "minutes": spec["minutes"],
                "repeats": -1,
            },
        )


def remove(apps, schema_editor):
    names = [spec["name"] for spec in SCHEDULES]
    apps.get_model("django_q", "Schedule").objects.filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0002_inbound_deliveries"),
        ("django_q", "__latest__"),
    ]

    operations = [migrations.RunPython(create, remove)]
