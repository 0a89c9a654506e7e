"""The pages' words: Chinese first (this is a Chinese office), English with ?lang=en or Accept-Language."""

from __future__ import annotations

from fastapi import Request

LANGUAGES = ("zh", "en")
LANG_COOKIE = "grants_lang"

WORDS: dict[str, tuple[str, str]] = {
    "title": ("项目资金台账", "Grant Ledger"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出", "Sign out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "grants": ("项目", "Grants"),
    "audit": ("审计", "Audit"),
    "new_grant": ("项目申报", "New application"),
    "filter": ("筛选", "Filter"),
    "any": ("全部", "any"),
    "overdue": ("逾期", "Overdue"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "stage": ("阶段", "Stage"),
    "region": ("地区代码", "Region"),
    "program": ("项目类别", "Program"),
    "year": ("年度", "Year"),
    "recipient": ("承担单位", "Recipient"),
    "requested": ("申报金额", "Requested"),
    "approved": ("批准金额", "Approved"),
    "appropriated": ("下达金额", "Appropriated"),
    "disbursed": ("已拨付", "Disbursed"),
    "next_step": ("下一步", "Next step"),
    "who": ("经办", "Who"),
    "deadlines": ("期限", "Deadlines"),
    "period_end": ("项目期结束", "Project period ends"),
    "publicity_until": ("公示截止", "Publicity until"),
    "missed": ("已逾期", "missed"),
    "met": ("已补办", "since met"),
    "actions": ("可办事项", "What you may record"),
    "no_actions": ("您的角色在此阶段无可办事项。", "Your role records nothing at this stage."),
    "timeline": ("时间线", "Timeline"),
    "time": ("时间", "Time"),
    "event": ("事件", "Event"),
    "actor": ("经办人", "Actor"),
    "decision": ("集体决策", "Decision"),
    "details": ("内容", "Details"),
    "submit": ("提交", "Submit"),
    "refused": ("未记录", "Not recorded"),
    "findings": ("审计发现", "Findings"),
    "no_findings": ("重放账本未发现问题。", "No findings: every step complies on replay."),
    "integrity": ("账本完整性", "Ledger integrity"),
    "intact": ("完整", "intact"),
    "broken": ("异常", "FAILED"),
    "records": ("记录", "records"),
    "chains": ("哈希链", "hash chains"),
    "checkpoints": ("签名检查点", "signed checkpoints"),
    "rule": ("规则", "Rule"),
    "severity": ("性质", "Severity"),
    "message": ("说明", "Message"),
    "events": ("事件序号", "Events"),
    "signed_in_as": ("当前用户", "Signed in as"),
    "wrong_password": ("用户名或密码错误。", "Wrong username or password."),
    "locked": ("登录失败次数过多，账户已锁定至", "Too many failed sign-ins; the account is locked until"),
    "none": ("无", "none"),
    # stages
    "application": ("申报审批", "Application"),
    "appropriation": ("资金指标", "Appropriation"),
    "disbursement": ("拨付", "Disbursement"),
    "publicity": ("公示", "Publicity"),
    "final_report": ("终期报告", "Final report"),
    "closed": ("已结项", "Closed"),
    "rejected": ("未批准", "Rejected"),
    # steps
    "apply": ("项目申报", "Submit application"),
    "approve": ("审批通过", "Approve"),
    "reject": ("不予批准", "Reject"),
    "notice": ("登记资金指标文件", "Record notice"),
    "acknowledge": ("确认收到指标", "Acknowledge notice"),
    "disburse": ("登记拨付", "Record payment"),
    "publicize": ("开始公示", "Start publicity"),
    "object": ("登记异议", "Record objection"),
    "resolve-objection": ("异议处理", "Resolve objection"),
    "conclude-publicity": ("结束公示", "Conclude publicity"),
    "change": ("重大事项变更", "Major change"),
    "report": ("提交终期报告", "Submit final report"),
    "evaluate": ("绩效评价", "Record evaluation"),
    "close": ("结项", "Close grant"),
    # fields
    "grant_no": ("项目编号", "Grant number"),
    "title_field": ("项目名称", "Title"),
    "fiscal_year": ("年度", "Fiscal year"),
    "period_start": ("项目期开始", "Period start"),
    "opinion": ("审核意见", "Opinion"),
    "decision_ref": ("集体决策（机构:纪要号）", "Decision (BODY:MINUTES)"),
    "reason": ("理由", "Reason"),
    "document_no": ("文号", "Document number"),
    "issuer": ("发文机关", "Issuer"),
    "issued_on": ("发文日期", "Issued on"),
    "amount": ("金额（元）", "Amount (yuan)"),
    "budget_subject": ("预算科目", "Budget subject"),
    "paid_on": ("拨付日期", "Paid on"),
    "payee": ("收款单位", "Payee"),
    "voucher": ("凭证号", "Voucher"),
    "starts_on": ("公示开始", "Starts on"),
    "ends_on": ("公示结束", "Ends on"),
    "place": ("公示地点", "Place"),
    "concluded_on": ("结束日期", "Concluded on"),
    "kind": ("类型", "Kind"),
    "changed_on": ("变更日期", "Changed on"),
    "description": ("说明", "Description"),
    "raised_on": ("提出日期", "Raised on"),
    "summary": ("异议内容", "Summary"),
    "objection_no": ("异议编号", "Objection number"),
    "resolved_on": ("处理日期", "Resolved on"),
    "resolution": ("处理结果", "Resolution"),
    "people_reached": ("受益人数", "People reached"),
    "money_used": ("使用资金（元）", "Money used (yuan)"),
    "satisfaction": ("满意度（%）", "Satisfaction (%)"),
    "outcomes": ("项目成效", "Outcomes"),
    "score": ("评分", "Score"),
    "findings_field": ("评价意见", "Findings"),
}
# Field names that are also page words with another meaning.
FIELD_WORDS = {"title": "title_field", "findings": "findings_field", "requested": "requested"}


def language(request: Request) -> str:
    """?lang= first, then the remembered choice, then the browser's Accept-Language; Chinese by default."""
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    accepted = request.headers.get("accept-language", "").lower()
    return "en" if accepted.startswith("en") else "zh"


def words(lang: str) -> dict[str, str]:
    index = LANGUAGES.index(lang)
    return {key: pair[index] for key, pair in WORDS.items()}


def field_label(name: str, lang: str) -> str:
    pair = WORDS.get(FIELD_WORDS.get(name, name))
    return pair[LANGUAGES.index(lang)] if pair else name.replace("_", " ")
