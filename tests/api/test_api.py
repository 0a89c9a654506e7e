"""The HTTP API on the real stack: each role records its step through Temporal, refusals carry the rule."""

from __future__ import annotations

import httpx

from tests.api.conftest import application, bearer
from tests.workflows.support import new_grant_no


async def test_each_role_records_its_step_and_the_ledger_names_the_signed_in_actor(http: httpx.AsyncClient) -> None:
    """Apply, approve, notice, acknowledge, pay: each by its role; the timeline's actors are the accounts."""
    grant_no = new_grant_no()
    officer, approver = await bearer(http, "wang.officer"), await bearer(http, "li.approver")
    finance, recipient = await bearer(http, "zhao.finance"), await bearer(http, "chen.recipient")

    applied = await http.post("/api/grants", json=application(grant_no), headers=officer)
    assert applied.status_code == 201, applied.text
    assert applied.json()["stage"] == "application"
    steps = [
        (approver, "approve", {"approved": "200000.00", "opinion": "同意"}),
        (
            finance,
            "notice",
            {
                "document_no": "湘财社指〔2020〕36号",
                "issuer": "湖南省财政厅",
                "issued_on": "2020-03-01",
                "amount": "200,000.00",
            },
        ),
        (recipient, "acknowledge", {}),
        (finance, "disburse", {"amount": "50000.00", "paid_on": "2020-04-01", "payee": "长沙市计生协"}),
    ]
    for headers, slug, body in steps:
        response = await http.post(f"/api/grants/{grant_no}/{slug}", json=body, headers=headers)
        assert response.status_code == 200, f"{slug}: {response.text}"

    grant = (await http.get(f"/api/grants/{grant_no}", headers=officer)).json()
    assert (grant["stage"], grant["appropriated"], grant["disbursed"]) == ("disbursement", "200,000.00", "50,000.00")
    timeline = (await http.get(f"/api/grants/{grant_no}/timeline", headers=officer)).json()
    assert [entry["actor"] for entry in timeline] == [
        "wang.officer",
        "li.approver",
        "zhao.finance",
        "chen.recipient",
        "zhao.finance",
    ]
    listed = await http.get("/api/grants", params={"stage": "disbursement", "region": "4301"}, headers=officer)
    assert [g["grant_no"] for g in listed.json()] == [grant_no]
    assert (await http.get("/api/grants", params={"year": 2021}, headers=officer)).json() == []
    before = await http.get(f"/api/grants/{grant_no}/state", params={"as_of": "2000-01-01"}, headers=officer)
    assert before.status_code == 200
    assert before.json() is None, "nothing had been recorded by 2000"


async def test_a_rule_refusal_is_409_with_the_rule_id_and_writes_nothing(http: httpx.AsyncClient) -> None:
    grant_no = new_grant_no()
    officer, approver = await bearer(http, "wang.officer"), await bearer(http, "li.approver")
    assert (await http.post("/api/grants", json=application(grant_no), headers=officer)).status_code == 201

    refused = await http.post(f"/api/grants/{grant_no}/approve", json={"approved": "300000.00"}, headers=approver)

    assert refused.status_code == 409
    assert refused.json()["rule"] == "R2"
    assert refused.json()["detail"].startswith(f"grant {grant_no}: R2 amounts: ")
    assert "Fix:" in refused.json()["detail"]
    assert (await http.get(f"/api/grants/{grant_no}", headers=officer)).json()["version"] == 1


async def test_a_large_payment_without_a_collective_decision_is_refused_as_r3(http: httpx.AsyncClient) -> None:
    grant_no = new_grant_no()
    officer, approver = await bearer(http, "wang.officer"), await bearer(http, "li.approver")
    finance, recipient = await bearer(http, "zhao.finance"), await bearer(http, "chen.recipient")
    await http.post("/api/grants", json=application(grant_no), headers=officer)
    await http.post(f"/api/grants/{grant_no}/approve", json={"approved": "200000.00"}, headers=approver)
    notice = {
        "document_no": "湘财社指〔2020〕1号",
        "issuer": "湖南省财政厅",
        "issued_on": "2020-03-01",
        "amount": "200000",
    }
    await http.post(f"/api/grants/{grant_no}/notice", json=notice, headers=finance)
    await http.post(f"/api/grants/{grant_no}/acknowledge", json={}, headers=recipient)

    payment = {"amount": "150000.00", "paid_on": "2020-04-01", "payee": "长沙市计生协"}
    refused = await http.post(f"/api/grants/{grant_no}/disburse", json=payment, headers=finance)

    assert refused.status_code == 409, refused.text
    assert refused.json()["rule"] == "R3"


async def test_invalid_input_is_422_naming_the_field_and_nothing_is_sent(http: httpx.AsyncClient) -> None:
    grant_no = new_grant_no()
    officer = await bearer(http, "wang.officer")

    response = await http.post("/api/grants", json=application(grant_no, requested="12.345"), headers=officer)

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "requested"]
    assert "more than two decimals" in error["msg"]
    assert (await http.get(f"/api/grants/{grant_no}", headers=officer)).status_code == 404


async def test_an_unknown_grant_is_404_with_the_domain_message(http: httpx.AsyncClient) -> None:
    officer = await bearer(http, "wang.officer")
    response = await http.get("/api/grants/NO-SUCH-1", headers=officer)
    assert response.status_code == 404
    assert "unknown grant" in response.json()["detail"]


async def test_findings_of_an_unknown_grant_are_404_not_an_empty_list(http: httpx.AsyncClient) -> None:
    auditor = await bearer(http, "sun.auditor")
    response = await http.get("/api/audit/findings", params={"grant_no": "HN-2030-NONE"}, headers=auditor)
    assert response.status_code == 404
    assert "unknown grant" in response.json()["detail"]


async def test_the_auditor_reads_findings_and_integrity(http: httpx.AsyncClient) -> None:
    grant_no = new_grant_no()
    await http.post("/api/grants", json=application(grant_no), headers=await bearer(http, "wang.officer"))
    auditor = await bearer(http, "sun.auditor")

    integrity = await http.get("/api/audit/integrity", headers=auditor)
    findings = await http.get("/api/audit/findings", params={"grant_no": grant_no}, headers=auditor)

    assert integrity.status_code == 200
    assert integrity.json()["ok"] is True
    assert integrity.json()["records"] >= 1
    assert findings.json() == []


async def test_an_officer_uploads_a_beneficiary_list_and_a_bad_row_refuses_the_file(http: httpx.AsyncClient) -> None:
    grant_no = new_grant_no()
    officer = await bearer(http, "wang.officer")
    await http.post("/api/grants", json=application(grant_no), headers=officer)
    header = "name,id_number,card_account,category,township,amount\n"
    good = "张三,430102198001011233,6217001234567890,特扶,雨花区,1200.00\n"

    bad = await http.post(
        f"/api/grants/{grant_no}/beneficiaries",
        files={"file": ("list.csv", (header + good + "李四,123,6217,特扶,雨花区,-5\n").encode())},
        headers=officer,
    )
    assert bad.status_code == 422
    assert "line 3" in bad.json()["detail"]

    registered = await http.post(
        f"/api/grants/{grant_no}/beneficiaries",
        files={"file": ("list.csv", (header + good).encode())},
        data={"pay_by": "2020-09-30"},
        headers=officer,
    )
    assert registered.status_code == 201, registered.text
    listed = (await http.get(f"/api/grants/{grant_no}/beneficiaries", headers=officer)).json()
    assert [(p["name"], p["id_number"], p["amount"]) for p in listed] == [("张三", "43*************233", "1,200.00")]
