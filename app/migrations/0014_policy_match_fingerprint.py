from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('qiyun', '0013_reporting')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Policy',
            index=Index(fields=['status', 'updated_at', 'id']),
        ),
    ]
