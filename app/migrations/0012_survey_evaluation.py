from tortoise import migrations
from tortoise.migrations import operations as ops
from app.enterprise.reference import District, Ownership, SizeClass
from app.survey.models import SampleFrame, SurveyKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('qiyun', '0011_services_activities_directory')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ServiceUse',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('enterprise', fields.ForeignKeyField('qiyun.Enterprise', source_field='enterprise_id', db_constraint=True, to_field='id', related_name='service_uses', on_delete=OnDelete.CASCADE)),
                ('service_code', fields.CharField(description='事项编码 of the approval item', max_length=64)),
                ('service_name', fields.CharField(max_length=200)),
                ('organisation', fields.ForeignKeyField('qiyun.Organisation', source_field='organisation_id', null=True, db_constraint=True, to_field='id', related_name='service_uses', on_delete=OnDelete.SET_NULL)),
                ('completed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('external_id', fields.CharField(unique=True, description='case number in the approval system', max_length=100)),
                ('source', fields.CharField(default='import', max_length=32)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'survey_service_use', 'app': 'qiyun', 'indexes': [Index(fields=['service_code', 'completed_at']), Index(fields=['completed_at'])], 'pk_attr': 'id', 'table_description': 'An enterprise used an approval service (办件): the frame of a department-service survey.'},
            bases=['Model'],
        ),
        ops.AlterModelOptions(
            name='Questionnaire',
            options={'table': 'questionnaire', 'app': 'qiyun', 'unique_together': (('survey', 'version'),), 'pk_attr': 'id', 'table_description': "One version of a survey's questions (`app.survey.definition` describes `definition`)."},
        ),
        ops.AddField(
            model_name='Questionnaire',
            name='updated_at',
            field=fields.DatetimeField(auto_now=True, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Survey',
            name='closed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Survey',
            name='eligibility_rate',
            field=fields.FloatField(null=True, description='e for AAPOR RR3, None = estimated from the cases of known eligibility'),
        ),
        ops.AddField(
            model_name='Survey',
            name='estimated_minutes',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Survey',
            name='kind',
            field=fields.CharEnumField(default=SurveyKind.annual, description='annual: annual\nservice: service\nadhoc: adhoc', enum_type=SurveyKind, max_length=16),
        ),
        ops.AddField(
            model_name='Survey',
            name='max_reminders',
            field=fields.IntField(default=2),
        ),
        ops.AddField(
            model_name='Survey',
            name='opened_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Survey',
            name='organiser',
            field=fields.CharField(default='', description='shown in the invitation (组织单位)', max_length=60),
        ),
        ops.AddField(
            model_name='Survey',
            name='previous',
            field=fields.ForeignKeyField('qiyun.Survey', source_field='previous_id', null=True, description='the previous year survey, for comparison', db_constraint=True, to_field='id', related_name='successors', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Survey',
            name='reminder_interval_days',
            field=fields.IntField(default=3, description='minimum days between contacts'),
        ),
        ops.AddField(
            model_name='Survey',
            name='updated_at',
            field=fields.DatetimeField(auto_now=True, auto_now_add=False),
        ),
        ops.AlterModelOptions(
            name='SurveyResponse',
            options={'table': 'survey_response', 'app': 'qiyun', 'indexes': [Index(fields=['survey_id', 'submitted'])], 'pk_attr': 'id', 'table_description': 'The answers of one respondent (an enterprise for a sampled survey, a person for a public one).'},
        ),
        ops.AddField(
            model_name='SurveyResponse',
            name='district',
            field=fields.CharEnumField(null=True, description='huangpu: 310101\nxuhui: 310104\nchangning: 310105\njingan: 310106\nputuo: 310107\nhongkou: 310109\nyangpu: 310110\nminhang: 310112\nbaoshan: 310113\njiading: 310114\npudong: 310115\njinshan: 310116\nsongjiang: 310117\nqingpu: 310118\nfengxian: 310120\nchongming: 310151', enum_type=District, max_length=6),
        ),
        ops.AddField(
            model_name='SurveyResponse',
            name='enterprise',
            field=fields.ForeignKeyField('qiyun.Enterprise', source_field='enterprise_id', null=True, description='only for a survey that is not anonymous', db_constraint=True, to_field='id', related_name='survey_responses', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='SurveyResponse',
            name='ownership',
            field=fields.CharEnumField(null=True, description='central_soe: central_soe\nlocal_soe: local_soe\nprivate: private\nforeign: foreign\nhmt: hmt\nother: other', enum_type=Ownership, max_length=16),
        ),
        ops.AddField(
            model_name='SurveyResponse',
            name='size_class',
            field=fields.CharEnumField(null=True, description='large: large\nmedium: medium\nsmall: small\nmicro: micro\nindividual: individual', enum_type=SizeClass, max_length=16),
        ),
        ops.AlterModelOptions(
            name='SurveySample',
            options={'table': 'survey_sample', 'app': 'qiyun', 'unique_together': (('survey', 'enterprise'),), 'indexes': [Index(fields=['survey_id', 'disposition']), Index(fields=['survey_id', 'stratum'])], 'pk_attr': 'id', 'table_description': 'One drawn enterprise: its stratum, inclusion probability, contacts and disposition.'},
        ),
        ops.AddField(
            model_name='SurveySample',
            name='created_at',
            field=fields.DatetimeField(auto_now=False, auto_now_add=True),
        ),
        ops.AddField(
            model_name='SurveySample',
            name='disposition_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='SurveySample',
            name='disposition_note',
            field=fields.CharField(default='', description='why staff set it by hand', max_length=200),
        ),
        ops.AddField(
            model_name='SurveySample',
            name='frame',
            field=fields.CharEnumField(default=SampleFrame.register, description='register: register\nservice_use: service_use\nmanual: manual', enum_type=SampleFrame, max_length=16),
        ),
        ops.AddField(
            model_name='SurveySample',
            name='invite_result',
            field=fields.CharField(default='', description='the outbox result of the invitation', max_length=64),
        ),
        ops.AddField(
            model_name='SurveySample',
            name='opted_out_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RemoveField(model_name='SurveySample', name='response_key'),
        ops.AddIndex(
            model_name='SurveySample',
            index=Index(fields=['survey_id', 'disposition']),
        ),
        ops.AddIndex(
            model_name='SurveySample',
            index=Index(fields=['survey_id', 'stratum']),
        ),
    ]
