"""The moved tables take core's names, and their content types (so admin permissions) follow them."""

from django.db import migrations

MOVED = ("team", "membership", "apikey", "ratecounter")


def content_types_to_core(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="core", model__in=MOVED).delete()
    content_type.objects.filter(app_label="library", model__in=MOVED).update(app_label="core")


def content_types_to_library(apps, schema_editor):
    apps.get_model("contenttypes", "ContentType").objects.filter(app_label="core", model__in=MOVED).update(
        app_label="library"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0001_initial"),
        ("library", "0006_teams_move_to_core"),
        ("taxonomy", "0004_teams_move_to_core"),
    ]

    operations = [
        migrations.AlterModelTable(name="team", table=None),
        migrations.AlterModelTable(name="membership", table=None),
        migrations.AlterModelTable(name="apikey", table=None),
        migrations.AlterModelTable(name="ratecounter", table=None),
        migrations.RunPython(content_types_to_core, content_types_to_library),
    ]
