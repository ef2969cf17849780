from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('qiyun', '0014_policy_match_fingerprint')]

    initial = False

    operations = [
        ops.AddField(
            model_name='WeChatUser',
            name='messages_read_up_to',
            field=fields.BigIntField(default=0, description='message_log id of the newest notification the person has seen in 我的消息'),
        ),
    ]
