"""Register the classification maintenance job (re-queue or fail runs whose worker died).

A migration, not a start-up hook, so every deployment has the schedule exactly once.
"""

from django.db import migrations


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="framewise-classification-maintenance",
        defaults={"func": "taxonomy.tasks.maintenance", "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="framewise-classification-maintenance").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("taxonomy", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
