"""Register the worker cluster's maintenance job (heartbeat + stale task recovery).

A migration, not a start-up hook, so every deployment has the schedule exactly once.
"""

from django.db import migrations


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="framewise-maintenance",
        defaults={"func": "library.tasks.maintenance", "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="framewise-maintenance").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
