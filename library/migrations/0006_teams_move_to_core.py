"""Teams, memberships, API keys and rate counters now belong to core (core/migrations/0001): state only,
the rows stay where they are."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_initial'),
        ('library', '0005_webhooks'),
        ('taxonomy', '0004_teams_move_to_core'),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=[
        migrations.RemoveField(
            model_name='apikey',
            name='team',
        ),
        migrations.RemoveField(
            model_name='apikey',
            name='user',
        ),
        migrations.RemoveField(
            model_name='membership',
            name='team',
        ),
        migrations.RemoveField(
            model_name='membership',
            name='user',
        ),
        migrations.DeleteModel(
            name='RateCounter',
        ),
        migrations.AlterField(
            model_name='webhookendpoint',
            name='team',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='webhook_endpoints', to='core.team'),
        ),
        migrations.AlterField(
            model_name='index',
            name='team',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='indexes', to='core.team'),
        ),
        migrations.AlterField(
            model_name='webhookevent',
            name='team',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='webhook_events', to='core.team'),
        ),
        migrations.DeleteModel(
            name='ApiKey',
        ),
        migrations.DeleteModel(
            name='Membership',
        ),
        migrations.DeleteModel(
            name='Team',
        ),
    ])]
