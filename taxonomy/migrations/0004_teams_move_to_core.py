"""Teams now belong to core: state only, the foreign keys point at the same rows."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_initial'),
        ('taxonomy', '0003_job_lifecycle'),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=[
        migrations.AlterField(
            model_name='classificationrun',
            name='team',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='classification_runs', to='core.team'),
        ),
        migrations.AlterField(
            model_name='classifyresultset',
            name='team',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='core.team'),
        ),
        migrations.AlterField(
            model_name='taxonomy',
            name='team',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='taxonomies', to='core.team'),
        ),
    ])]
