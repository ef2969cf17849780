from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('qiyun', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Follower',
            name='last_location',
            field=fields.JSONField(null=True, description='last LOCATION event: latitude, longitude, precision, at (for nearby services)', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='MessageLog',
            name='status',
            field=fields.CharField(default='', description='delivery state: sent, then success / failed:user block from WeChat', max_length=40),
        ),
    ]
