from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.reporting.models import ReportKind, ReportStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('qiyun', '0012_survey_evaluation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AppealDailyStat',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('grouping', fields.CharField(description='o: organisations only, d: by district, c: by category', max_length=1)),
                ('day', fields.DateField()),
                ('organisation_id', fields.IntField(null=True)),
                ('owner_organisation_id', fields.IntField(null=True)),
                ('district', fields.CharField(null=True, max_length=6)),
                ('category', fields.CharField(default='', max_length=32)),
                ('received', fields.IntField(default=0)),
                ('accepted', fields.IntField(default=0)),
                ('declined', fields.IntField(default=0)),
                ('dispatched', fields.IntField(default=0)),
                ('replied', fields.IntField(default=0)),
                ('closed', fields.IntField(default=0)),
                ('merged', fields.IntField(default=0)),
                ('response_den', fields.IntField(default=0)),
                ('response_num', fields.IntField(default=0)),
                ('on_time_den', fields.IntField(default=0)),
                ('on_time_num', fields.IntField(default=0)),
                ('resolution_den', fields.IntField(default=0)),
                ('resolution_num', fields.IntField(default=0)),
                ('satisfaction_den', fields.IntField(default=0)),
                ('satisfaction_num', fields.IntField(default=0)),
                ('reopen_den', fields.IntField(default=0)),
                ('reopen_num', fields.IntField(default=0)),
                ('accept_n', fields.IntField(default=0)),
                ('accept_days', fields.FloatField(default=0.0, description='summed working days from submission to acceptance')),
                ('respond_n', fields.IntField(default=0)),
                ('respond_days', fields.FloatField(default=0.0, description='summed working days from dispatch to first response')),
                ('close_n', fields.IntField(default=0)),
                ('close_days', fields.FloatField(default=0.0, description='summed working days from submission to closure')),
            ],
            options={'table': 'report_appeal_daily', 'app': 'qiyun', 'indexes': [Index(fields=['grouping', 'day'])], 'pk_attr': 'id', 'table_description': 'One day × attributed organisation × owning organisation, for one grouping.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DeliveryDailyStat',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('day', fields.DateField()),
                ('campaign_id', fields.IntField()),
                ('creator_organisation_id', fields.IntField(null=True)),
                ('district', fields.CharField(null=True, max_length=6)),
                ('sent', fields.IntField(default=0, description='accepted by WeChat (sent or delivered)')),
                ('delivered', fields.IntField(default=0, description='confirmed by TEMPLATESENDJOBFINISH')),
                ('failed', fields.IntField(default=0)),
                ('skipped', fields.IntField(default=0)),
            ],
            options={'table': 'report_delivery_daily', 'app': 'qiyun', 'indexes': [Index(fields=['day', 'district']), Index(fields=['day', 'creator_organisation_id']), Index(fields=['campaign_id'])], 'pk_attr': 'id', 'table_description': 'One day × campaign × recipient district: what the push deliveries came to.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Report',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(default=ReportKind.quarterly, description='quarterly: quarterly\ncustom: custom', enum_type=ReportKind, max_length=16)),
                ('title', fields.CharField(max_length=200)),
                ('period_start', fields.DateField()),
                ('period_end', fields.DateField()),
                ('scope_organisation', fields.ForeignKeyField('qiyun.Organisation', source_field='scope_organisation_id', null=True, description='whose report (None: the whole city)', db_constraint=True, to_field='id', related_name='reports', on_delete=OnDelete.RESTRICT)),
                ('scope_label', fields.CharField(default='', max_length=100)),
                ('status', fields.CharEnumField(default=ReportStatus.queued, description='queued: queued\nrunning: running\nready: ready\nfailed: failed', enum_type=ReportStatus, max_length=16)),
                ('requested_by', fields.ForeignKeyField('qiyun.Staff', source_field='requested_by_id', null=True, description='None: generated by the schedule', db_constraint=True, to_field='id', related_name='reports', on_delete=OnDelete.SET_NULL)),
                ('figures', fields.JSONField(default=dict, description='the headline figures as generated', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('html_key', fields.CharField(default='', max_length=300)),
                ('pdf_key', fields.CharField(default='', max_length=300)),
                ('xlsx_key', fields.CharField(default='', max_length=300)),
                ('error', fields.TextField(default='', unique=False)),
                ('attempts', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'report', 'app': 'qiyun', 'indexes': [Index(fields=['status', 'created_at']), Index(fields=['period_start', 'period_end'])], 'pk_attr': 'id', 'table_description': 'A generated 企业服务动态: its period, scope, files and who asked for it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SummaryState',
            fields=[
                ('name', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=32)),
                ('refreshed_at', fields.DatetimeField(null=True, description='when the last refresh finished', auto_now=False, auto_now_add=False)),
                ('watermark', fields.DatetimeField(null=True, description='source rows changed before this are included', auto_now=False, auto_now_add=False)),
                ('rebuilt_at', fields.DatetimeField(null=True, description='when the last full rebuild finished', auto_now=False, auto_now_add=False)),
                ('last_seconds', fields.FloatField(default=0.0, description='how long the last refresh took')),
            ],
            options={'table': 'report_summary_state', 'app': 'qiyun', 'pk_attr': 'name', 'table_description': 'How far one summary table has been brought up to date (`name`: appeal, delivery).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WorkingDayIndex',
            fields=[
                ('day', fields.DateField(primary_key=True, unique=True, db_index=True)),
                ('working', fields.BooleanField()),
                ('before', fields.FloatField()),
            ],
            options={'table': 'report_working_day', 'app': 'qiyun', 'pk_attr': 'day', 'table_description': 'The working calendar as a table, so SQL can count working days.'},
            bases=['Model'],
        ),
        ops.AddIndex(
            model_name='Appeal',
            index=Index(fields=['updated_at']),
        ),
        ops.AddIndex(
            model_name='AppealEvent',
            index=Index(fields=['appeal_id', 'action', 'id']),
        ),
    ]
