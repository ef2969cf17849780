from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from app.activity.models import SignupChannel
from app.directory.models import DirectoryCategory, DirectoryKind, DirectoryStatus, UtilityType
from app.engagement.models import CommentCheck, EngagementChannel, EngagementStatus
from app.enterprise.reference import District
from app.provider.models import ComplaintStatus, MemberRole, PricingMode, ProviderStatus, ServiceCategory, TextCheck
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('qiyun', '0010_appeal_sqlite_restore')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ActivityEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('activity', fields.ForeignKeyField('qiyun.Activity', source_field='activity_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('signup', fields.ForeignKeyField('qiyun.ActivitySignup', source_field='signup_id', null=True, db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.SET_NULL)),
                ('action', fields.CharField(max_length=32)),
                ('staff', fields.ForeignKeyField('qiyun.Staff', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='activity_events', on_delete=OnDelete.SET_NULL)),
                ('note', fields.TextField(default='', unique=False)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'activity_event', 'app': 'qiyun', 'indexes': [Index(fields=['activity_id', 'id'])], 'pk_attr': 'id', 'table_description': "The activity's history: every lifecycle step and every sign-up change, by whom and why."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AdmissionCriterion',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('category', fields.CharEnumField(null=True, description='financing: financing\ninnovation: innovation\nip: ip\nentrepreneurship: entrepreneurship\nlegal: legal\nmarket: market\nagency: agency\nhr: hr\nconsulting: consulting\nlisting: listing', enum_type=ServiceCategory, max_length=24)),
                ('title', fields.CharField(max_length=100)),
                ('description', fields.TextField(default='', unique=False)),
                ('position', fields.IntField(default=0)),
                ('is_active', fields.BooleanField(default=True)),
                ('updated_by', fields.ForeignKeyField('qiyun.Staff', source_field='updated_by_id', null=True, db_constraint=True, to_field='id', related_name='provider_criteria', on_delete=OnDelete.SET_NULL)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'provider_criterion', 'app': 'qiyun', 'indexes': [Index(fields=['category', 'is_active', 'position'])], 'pk_attr': 'id', 'table_description': 'One published admission criterion: for a category, or for all (category null).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DirectoryEntry',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharEnumField(description='resource: resource\nentrance: entrance\npark: park\nutility_guide: utility_guide', enum_type=DirectoryKind, max_length=16)),
                ('category', fields.CharEnumField(null=True, description='resources and entrances', enum_type=DirectoryCategory, max_length=16)),
                ('utility_type', fields.CharEnumField(null=True, description='utility guides only', enum_type=UtilityType, max_length=8)),
                ('title', fields.CharField(max_length=200)),
                ('summary', fields.TextField(default='', unique=False)),
                ('body', fields.TextField(default='', unique=False)),
                ('eligibility', fields.TextField(default='', description='who may use it (服务对象)', unique=False)),
                ('steps', fields.TextField(default='', description='how: one step per line (办理流程)', unique=False)),
                ('materials', fields.TextField(default='', description='one material per line (申请材料)', unique=False)),
                ('fees', fields.CharField(default='', description='收费标准', max_length=200)),
                ('time_limit', fields.CharField(default='', description='办理时限', max_length=200)),
                ('organisation', fields.ForeignKeyField('qiyun.Organisation', source_field='organisation_id', null=True, description='the providing department, if it is one of ours', db_constraint=True, to_field='id', related_name='directory_entries', on_delete=OnDelete.SET_NULL)),
                ('platform_name', fields.CharField(default='', description='the providing platform or body otherwise', max_length=100)),
                ('district', fields.CharEnumField(null=True, description='null: city-wide', enum_type=District, max_length=6)),
                ('url', fields.CharField(default='', max_length=1024)),
                ('miniprogram_appid', fields.CharField(default='', max_length=32)),
                ('miniprogram_path', fields.CharField(default='', max_length=300)),
                ('contact', fields.CharField(default='', max_length=200)),
                ('address', fields.CharField(default='', max_length=300)),
                ('hours', fields.CharField(default='', description='服务时间', max_length=200)),
                ('status', fields.CharEnumField(default=DirectoryStatus.draft, description='draft: draft\npublished: published\narchived: archived', enum_type=DirectoryStatus, max_length=16)),
                ('sort_order', fields.IntField(default=0, description='lower first in lists (then the newest change)')),
                ('published_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_by', fields.ForeignKeyField('qiyun.Staff', source_field='updated_by_id', null=True, db_constraint=True, to_field='id', related_name='directory_entries', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'directory_entry', 'app': 'qiyun', 'indexes': [Index(fields=['status', 'kind', 'sort_order']), Index(fields=['kind', 'district']), Index(fields=['status', 'updated_at'])], 'pk_attr': 'id', 'table_description': 'One entry of the directory, seen by the public only while published.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DirectorySearchTerm',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('entry', fields.ForeignKeyField('qiyun.DirectoryEntry', source_field='entry_id', db_constraint=True, to_field='id', related_name='search_terms', on_delete=OnDelete.CASCADE)),
                ('word', fields.CharField(max_length=64)),
                ('weight', fields.SmallIntField(default=0)),
            ],
            options={'table': 'directory_search_term', 'app': 'qiyun', 'unique_together': (('entry', 'word'),), 'indexes': [Index(fields=['word', 'entry_id', 'weight'])], 'pk_attr': 'id', 'table_description': 'One distinct word of a published entry, with where it occurs best: 2 title, 1 summary'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EngagementEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('engagement', fields.ForeignKeyField('qiyun.Engagement', source_field='engagement_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('action', fields.CharField(max_length=32)),
                ('from_status', fields.CharEnumField(null=True, description='requested: requested\naccepted: accepted\ndelivered: delivered\ncompleted: completed\ndeclined: declined\ncancelled: cancelled', enum_type=EngagementStatus, max_length=16)),
                ('to_status', fields.CharEnumField(null=True, description='requested: requested\naccepted: accepted\ndelivered: delivered\ncompleted: completed\ndeclined: declined\ncancelled: cancelled', enum_type=EngagementStatus, max_length=16)),
                ('role', fields.CharField(description='enterprise, provider, staff or system', max_length=16)),
                ('user', fields.ForeignKeyField('qiyun.WeChatUser', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='engagement_events', on_delete=OnDelete.SET_NULL)),
                ('staff', fields.ForeignKeyField('qiyun.Staff', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='engagement_events', on_delete=OnDelete.SET_NULL)),
                ('by', fields.CharField(default='', description='how the timeline names the actor', max_length=100)),
                ('text', fields.TextField(default='', description='the reason or the delivery note', unique=False)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'engagement_event', 'app': 'qiyun', 'indexes': [Index(fields=['engagement_id', 'id'])], 'pk_attr': 'id', 'table_description': "One step of an engagement's timeline: who (an enterprise user, a provider member,"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProviderComplaint',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('provider', fields.ForeignKeyField('qiyun.Provider', source_field='provider_id', db_constraint=True, to_field='id', related_name='complaints', on_delete=OnDelete.CASCADE)),
                ('enterprise', fields.ForeignKeyField('qiyun.Enterprise', source_field='enterprise_id', db_constraint=True, to_field='id', related_name='provider_complaints', on_delete=OnDelete.CASCADE)),
                ('engagement', fields.ForeignKeyField('qiyun.Engagement', source_field='engagement_id', null=True, db_constraint=True, to_field='id', related_name='complaints', on_delete=OnDelete.SET_NULL)),
                ('filed_by', fields.ForeignKeyField('qiyun.WeChatUser', source_field='filed_by_id', null=True, db_constraint=True, to_field='id', related_name='provider_complaints', on_delete=OnDelete.SET_NULL)),
                ('text', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(default=ComplaintStatus.open, description='open: open\nupheld: upheld\ndismissed: dismissed', enum_type=ComplaintStatus, max_length=12)),
                ('decided_by', fields.ForeignKeyField('qiyun.Staff', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='decided_complaints', on_delete=OnDelete.SET_NULL)),
                ('decision_reason', fields.TextField(default='', unique=False)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'provider_complaint', 'app': 'qiyun', 'indexes': [Index(fields=['provider_id', 'status', 'decided_at'])], 'pk_attr': 'id', 'table_description': "An enterprise's complaint about a provider. Upheld ones count towards warnings and"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProviderEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('provider', fields.ForeignKeyField('qiyun.Provider', source_field='provider_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('action', fields.CharField(max_length=32)),
                ('from_status', fields.CharEnumField(null=True, description='applied: applied\nneeds_info: needs_info\nadmitted: admitted\nrefused: refused\nwarned: warned\nsuspended: suspended', enum_type=ProviderStatus, max_length=16)),
                ('to_status', fields.CharEnumField(null=True, description='applied: applied\nneeds_info: needs_info\nadmitted: admitted\nrefused: refused\nwarned: warned\nsuspended: suspended', enum_type=ProviderStatus, max_length=16)),
                ('staff', fields.ForeignKeyField('qiyun.Staff', source_field='staff_id', null=True, db_constraint=True, to_field='id', related_name='provider_events', on_delete=OnDelete.SET_NULL)),
                ('user', fields.ForeignKeyField('qiyun.WeChatUser', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='provider_events', on_delete=OnDelete.SET_NULL)),
                ('by', fields.CharField(default='', description='how the timeline names the actor', max_length=64)),
                ('reason', fields.TextField(default='', unique=False)),
                ('payload', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'provider_event', 'app': 'qiyun', 'indexes': [Index(fields=['provider_id', 'id'])], 'pk_attr': 'id', 'table_description': "One entry of a provider's timeline: a status step (from/to), or a thing that happened"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProviderMember',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('provider', fields.ForeignKeyField('qiyun.Provider', source_field='provider_id', db_constraint=True, to_field='id', related_name='members', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('qiyun.WeChatUser', source_field='user_id', db_constraint=True, to_field='id', related_name='provider_memberships', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(default=MemberRole.agent, description='owner: owner\nagent: agent', enum_type=MemberRole, max_length=16)),
                ('joined_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'provider_member', 'app': 'qiyun', 'unique_together': (('provider', 'user'),), 'pk_attr': 'id', 'table_description': 'A person (by WeChat) who acts for a provider: its applicant, or someone who joined by'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Activity',
            name='cancel_reason',
            field=fields.TextField(default='', description='told to everyone signed up', unique=False),
        ),
        ops.AddField(
            model_name='Activity',
            name='closed_at',
            field=fields.DatetimeField(null=True, description='when it was cancelled or finished', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Activity',
            name='created_by',
            field=fields.ForeignKeyField('qiyun.Staff', source_field='created_by_id', null=True, db_constraint=True, to_field='id', related_name='activities_created', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Activity',
            name='organiser_name',
            field=fields.CharField(default='', description='free-text organiser when it is not one of our organisations', max_length=200),
        ),
        ops.AddField(
            model_name='Activity',
            name='published_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Activity',
            name='qr_expires_at',
            field=fields.DatetimeField(null=True, description='temporary codes last at most 30 days', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Activity',
            name='qr_ticket',
            field=fields.CharField(default='', description='WeChat ticket of the check-in QR code', max_length=300),
        ),
        ops.AddField(
            model_name='Activity',
            name='qr_url',
            field=fields.CharField(default='', description='what the check-in QR code encodes', max_length=300),
        ),
        ops.AddField(
            model_name='Activity',
            name='updated_at',
            field=fields.DatetimeField(null=True, auto_now=True, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Activity',
            name='waitlist_count',
            field=fields.IntField(default=0, description='people waiting now, kept with the sign-ups'),
        ),
        ops.AddField(
            model_name='ActivitySignup',
            name='cancelled_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ActivitySignup',
            name='channel',
            field=fields.CharEnumField(default=SignupChannel.miniprogram, description='miniprogram: miniprogram\nchat: chat\nadmin: admin', enum_type=SignupChannel, max_length=16),
        ),
        ops.AddField(
            model_name='ActivitySignup',
            name='checked_in_by',
            field=fields.ForeignKeyField('qiyun.Staff', source_field='checked_in_by_id', null=True, db_constraint=True, to_field='id', related_name='activity_checkins', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='ActivitySignup',
            name='checkin_method',
            field=fields.CharField(default='', description='ticket (scanned at the door) or wechat', max_length=16),
        ),
        ops.AddField(
            model_name='ActivitySignup',
            name='confirmed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ActivitySignup',
            name='contact_name',
            field=fields.CharField(default='', max_length=50),
        ),
        ops.AddField(
            model_name='ActivitySignup',
            name='contact_phone',
            field=fields.CharField(default='', max_length=20),
        ),
        ops.AddField(
            model_name='ActivitySignup',
            name='reminder_queued_at',
            field=fields.DatetimeField(null=True, description='claims the day-before reminder once', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ActivitySignup',
            name='signed_up_at',
            field=fields.DatetimeField(null=True, description='the latest sign-up (re-signing resets it)', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ActivitySignup',
            name='updated_at',
            field=fields.DatetimeField(null=True, auto_now=True, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='ActivitySignup',
            index=Index(fields=['activity_id', 'status', 'waitlist_position']),
        ),
        ops.AddField(
            model_name='Engagement',
            name='channel',
            field=fields.CharEnumField(default=EngagementChannel.miniprogram, description='miniprogram: miniprogram\nh5: h5\nchat: chat\nstaff: staff\ndemo: demo', enum_type=EngagementChannel, max_length=12),
        ),
        ops.AddField(
            model_name='Engagement',
            name='closed_at',
            field=fields.DatetimeField(null=True, description='declined or cancelled at', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Engagement',
            name='closed_by_role',
            field=fields.CharField(default='', description='enterprise, provider, staff or system: who declined or cancelled it', max_length=16),
        ),
        ops.AddField(
            model_name='Engagement',
            name='confirm_due_at',
            field=fields.DatetimeField(null=True, description='delivered: completed automatically after this', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Engagement',
            name='delivery_note',
            field=fields.TextField(default='', description="the provider's account of what was delivered", unique=False),
        ),
        ops.AddField(
            model_name='Engagement',
            name='idempotency_key',
            field=fields.CharField(null=True, unique=True, description='one request per key', max_length=128),
        ),
        ops.AddField(
            model_name='Engagement',
            name='open_key',
            field=fields.CharField(null=True, unique=True, description='enterprise:product while open (requested, accepted, delivered), null once closed: the database keeps one open engagement per enterprise and product', max_length=40),
        ),
        ops.AddField(
            model_name='Engagement',
            name='status_reason',
            field=fields.TextField(default='', description='why it was declined, cancelled or sent back', unique=False),
        ),
        ops.AddField(
            model_name='Engagement',
            name='updated_at',
            field=fields.DatetimeField(auto_now=True, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Engagement',
            name='version',
            field=fields.IntField(default=0, description='bumped by every step: the conditional-update guard'),
        ),
        ops.AddIndex(
            model_name='Engagement',
            index=Index(fields=['status', 'confirm_due_at']),
        ),
        ops.AddField(
            model_name='Provider',
            name='address',
            field=fields.CharField(default='', max_length=300),
        ),
        ops.AddField(
            model_name='Provider',
            name='applicant',
            field=fields.ForeignKeyField('qiyun.WeChatUser', source_field='applicant_id', null=True, description='who applied from the mini-program (null: registered by staff)', db_constraint=True, to_field='id', related_name='provider_applications', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Provider',
            name='completion_counts',
            field=fields.JSONField(default=dict, description='completed and failed engagements behind completion_rate', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Provider',
            name='dimension_averages',
            field=fields.JSONField(default=dict, description='dimension label -> mean of counting ratings', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Provider',
            name='district',
            field=fields.CharEnumField(null=True, description='huangpu: 310101\nxuhui: 310104\nchangning: 310105\njingan: 310106\nputuo: 310107\nhongkou: 310109\nyangpu: 310110\nminhang: 310112\nbaoshan: 310113\njiading: 310114\npudong: 310115\njinshan: 310116\nsongjiang: 310117\nqingpu: 310118\nfengxian: 310120\nchongming: 310151', enum_type=District, max_length=6),
        ),
        ops.AddField(
            model_name='Provider',
            name='invite_code',
            field=fields.CharField(null=True, unique=True, description="lets the provider's staff join its desk in the mini-program", max_length=16),
        ),
        ops.AddField(
            model_name='Provider',
            name='pending_profile',
            field=fields.JSONField(default=dict, description='name/description of a profile edit held by the content check (not public yet)', encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Provider',
            name='profile_check_id',
            field=fields.BigIntField(null=True, description='content_check of profile text not cleared yet (held, or refused before admission)'),
        ),
        ops.AddField(
            model_name='Provider',
            name='ranked',
            field=fields.BooleanField(default=False, description='enough ratings to be ranked by score (PROVIDER_MIN_RATINGS)'),
        ),
        ops.AddField(
            model_name='Provider',
            name='raw_average',
            field=fields.FloatField(null=True, description='plain mean of counting ratings'),
        ),
        ops.AddField(
            model_name='Provider',
            name='registered_by',
            field=fields.ForeignKeyField('qiyun.Staff', source_field='registered_by_id', null=True, db_constraint=True, to_field='id', related_name='registered_providers', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Provider',
            name='reputation_at',
            field=fields.DatetimeField(null=True, description='when the reputation columns were last computed', auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Provider',
            name='status_by_system',
            field=fields.BooleanField(default=False, description='the current warning or suspension was set by the rules, not by staff'),
        ),
        ops.AddField(
            model_name='Provider',
            name='submitted_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Provider',
            name='updated_at',
            field=fields.DatetimeField(auto_now=True, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Provider',
            name='version',
            field=fields.IntField(default=0, description='bumped by every status step: the conditional-update guard'),
        ),
        ops.AddIndex(
            model_name='Provider',
            index=Index(fields=['status', 'ranked', 'score']),
        ),
        ops.AddField(
            model_name='ProviderProduct',
            name='category',
            field=fields.CharEnumField(null=True, description="null: the provider's category", enum_type=ServiceCategory, max_length=24),
        ),
        ops.AddField(
            model_name='ProviderProduct',
            name='check_id',
            field=fields.BigIntField(null=True, description='the content_check row of the current text'),
        ),
        ops.AddField(
            model_name='ProviderProduct',
            name='pricing',
            field=fields.CharEnumField(default=PricingMode.fixed, description='fixed: fixed\nfree: free\nnegotiable: negotiable', enum_type=PricingMode, max_length=12),
        ),
        ops.AddField(
            model_name='ProviderProduct',
            name='text_check',
            field=fields.CharEnumField(default=TextCheck.passed, description='public only when passed or approved', enum_type=TextCheck, max_length=12),
        ),
        ops.AddField(
            model_name='ProviderProduct',
            name='updated_at',
            field=fields.DatetimeField(auto_now=True, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ProviderProduct',
            name='withdrawn_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddIndex(
            model_name='ProviderProduct',
            index=Index(fields=['provider_id', 'is_active']),
        ),
        ops.AddField(
            model_name='ProviderRating',
            name='channel',
            field=fields.CharEnumField(default=EngagementChannel.miniprogram, description='miniprogram: miniprogram\nh5: h5\nchat: chat\nstaff: staff\ndemo: demo', enum_type=EngagementChannel, max_length=12),
        ),
        ops.AddField(
            model_name='ProviderRating',
            name='check_id',
            field=fields.BigIntField(null=True, description='the content_check row of the comment'),
        ),
        ops.AddField(
            model_name='ProviderRating',
            name='comment_check',
            field=fields.CharEnumField(default=CommentCheck.none, description='none: none\npassed: passed\nheld: held\napproved: approved\nrefused: refused', enum_type=CommentCheck, max_length=12),
        ),
        ops.AddField(
            model_name='ProviderRating',
            name='counts',
            field=fields.BooleanField(default=True, description="enters the provider's reputation (see the class docstring)"),
        ),
        ops.AddField(
            model_name='ProviderRating',
            name='excluded_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ProviderRating',
            name='excluded_by',
            field=fields.ForeignKeyField('qiyun.Staff', source_field='excluded_by_id', null=True, db_constraint=True, to_field='id', related_name='excluded_ratings', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='ProviderRating',
            name='excluded_reason',
            field=fields.TextField(default='', unique=False),
        ),
        ops.AddField(
            model_name='ProviderRating',
            name='idempotency_key',
            field=fields.CharField(null=True, description='a retried submission returns this rating', max_length=128),
        ),
        ops.AddField(
            model_name='ProviderRating',
            name='rated_by',
            field=fields.ForeignKeyField('qiyun.WeChatUser', source_field='rated_by_id', null=True, db_constraint=True, to_field='id', related_name='provider_ratings', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddIndex(
            model_name='ProviderRating',
            index=Index(fields=['provider_id', 'counts']),
        ),
    ]
