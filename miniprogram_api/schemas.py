"""Request and response models of the identity and binding endpoints.

Request models forbid unknown fields (a misspelt field fails loudly instead of being
ignored) and carry Chinese `title`s, which validation messages and the docs page show.
Response models are built from domain objects by the `from_*` constructors, so what a
response may contain is decided here: the phone number only masked, never an openid,
unionid or session key.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.enterprise.models import Enterprise
from app.enterprise.reference import BindingRole
from app.identity.models import EnterpriseBinding, WeChatUser
from app.identity.service import mask_phone

_REQUEST = ConfigDict(extra="forbid", str_strip_whitespace=True)


# -- requests ------------------------------------------------------------------


class LoginRequest(BaseModel):
    model_config = _REQUEST

    code: str = Field(title="登录凭证", description="小程序 wx.login 返回的 code（一次性，5 分钟内有效）", min_length=1, max_length=128)


class PhoneRequest(BaseModel):
    model_config = _REQUEST

    code: str = Field(
        title="手机号授权码", description="getPhoneNumber 按钮回调中的 code（一次性，5 分钟内有效）", min_length=1, max_length=128
    )


class BindEnterpriseRequest(BaseModel):
    model_config = _REQUEST

    credit_code: str = Field(title="统一社会信用代码", description="18 位统一社会信用代码", min_length=1, max_length=40)
    legal_representative: str = Field(
        title="法定代表人姓名", description="须与企业登记信息中的法定代表人姓名一致", min_length=1, max_length=50
    )
    role: BindingRole = Field(
        title="身份", description="legal_representative：法定代表人；contact：企业联系人"
    )

    @field_validator("role", mode="before")
    @classmethod
    def _role_by_label(cls, value: object) -> object:
        # Accept the Chinese label too ("法定代表人"), as the chat flow does.
        if isinstance(value, str):
            try:
                return BindingRole.from_label_or_code(value)
            except ValueError:
                return value
        return value


# -- responses -----------------------------------------------------------------


class UserOut(BaseModel):
    id: int = Field(description="用户编号")
    phone: str = Field(description="已验证的手机号（脱敏，如 138****1234）；未绑定时为空字符串")
    has_phone: bool = Field(description="是否已绑定手机号")
    created_at: datetime

    @classmethod
    def from_user(cls, user: WeChatUser) -> UserOut:
        return cls(id=user.id, phone=mask_phone(user.phone), has_phone=bool(user.phone), created_at=user.created_at)


class LoginResponse(BaseModel):
    token: str = Field(description="会话令牌，之后的请求放在 Authorization: Bearer <token> 中")
    expires_at: datetime = Field(description="令牌过期时间；每次使用会顺延 7 天，最长 30 天")
    user: UserOut


class EnterpriseSummary(BaseModel):
    id: int
    name: str = Field(description="企业名称")
    credit_code: str = Field(description="统一社会信用代码")
    district: str = Field(description="所在区（行政区划代码）")
    district_label: str = Field(description="所在区名称")

    @classmethod
    def from_enterprise(cls, enterprise: Enterprise) -> EnterpriseSummary:
        return cls(
            id=enterprise.id,
            name=enterprise.name,
            credit_code=enterprise.credit_code,
            district=enterprise.district.value,
            district_label=enterprise.district.label,
        )


class BindingOut(BaseModel):
    id: int = Field(description="绑定编号，解除绑定时使用")
    role: BindingRole = Field(description="身份代码")
    role_label: str = Field(description="身份名称")
    bound_at: datetime = Field(description="绑定时间")
    enterprise: EnterpriseSummary

    @classmethod
    def from_binding(cls, binding: EnterpriseBinding) -> BindingOut:
        return cls(
            id=binding.id,
            role=binding.role,
            role_label=BindingRole(binding.role).label,
            bound_at=binding.created_at,
            enterprise=EnterpriseSummary.from_enterprise(binding.enterprise),
        )


class ProfileOut(UserOut):
    follows_official_account: bool = Field(description="是否已关注公众号（通知经公众号送达）")
    enterprises: list[BindingOut] = Field(description="已绑定的企业")


class EnterpriseOut(EnterpriseSummary):
    legal_representative: str = Field(description="法定代表人")
    industry_section: str = Field(description="国民经济行业门类（GB/T 4754）")
    industry_division: str = Field(description="国民经济行业大类（GB/T 4754）")
    size_class: str = Field(description="企业规模代码")
    size_class_label: str = Field(description="企业规模")
    ownership_label: str = Field(description="经济类型")
    established_on: date = Field(description="成立日期")
    address: str = Field(description="地址")
    tags: list[str] = Field(description="企业标签，如 专精特新")
    my_binding: BindingOut = Field(description="当前用户与该企业的绑定")

    @classmethod
    def from_binding(cls, binding: EnterpriseBinding) -> EnterpriseOut:
        enterprise = binding.enterprise
        return cls(
            **EnterpriseSummary.from_enterprise(enterprise).model_dump(),
            legal_representative=enterprise.legal_representative,
            industry_section=enterprise.industry_section,
            industry_division=enterprise.industry_division,
            size_class=enterprise.size_class.value,
            size_class_label=enterprise.size_class.label,
            ownership_label=enterprise.ownership.label,
            established_on=enterprise.established_on,
            address=enterprise.address,
            tags=[str(tag) for tag in (enterprise.tags or [])],
            my_binding=BindingOut.from_binding(binding),
        )
