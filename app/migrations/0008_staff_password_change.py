from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('qiyun', '0007_push_ledger')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Staff',
            name='must_change_password',
            field=fields.BooleanField(default=False, description='set when someone else chose the password (new account, reset)'),
        ),
    ]
