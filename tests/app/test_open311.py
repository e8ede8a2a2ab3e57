"""/open311/v2/ (#24): the reports as Open311 GeoReport v2 open data — every field of the spec, nothing personal (no
LINE id, no typed address, no photo, the comment only once staff publish it, coordinates rounded), errors in the
spec's shape, and one municipality's jurisdiction only."""

from __future__ import annotations

from reports.open311 import FIELDS
from tests.admin.test_console import csrf, login, make_staff
from tests.admin.test_reports_console import report_by_resident
from tests.bot import test_report_chat as chat


def test_services_and_requests_carry_the_georeport_fields_and_nothing_personal(app, client, fake_line) -> None:
    report = report_by_resident(client, fake_line)
    services = client.get("/open311/v2/services.json")
    assert services.status_code == 200 and services.headers["Access-Control-Allow-Origin"] == "*"
    codes = {s["service_code"] for s in services.json}
    assert {"road", "streetlight", "dumping", "playground", "mirror", "other"} <= codes
    assert set(services.json[0]) == {"service_code", "service_name", "description", "metadata", "type", "keywords",
                                     "group"}
    listed = client.get("/open311/v2/requests.json")
    assert listed.status_code == 200
    mine = next(r for r in listed.json if r["service_request_id"] == report.receipt)
    assert set(mine) == set(FIELDS)
    assert mine["status"] == "open" and mine["service_code"] == "road" and mine["agency_responsible"] == "建設課"
    assert (mine["lat"], mine["long"]) == (31.5972, 130.559) and mine["address"] is None
    assert mine["description"] is None and mine["media_url"] is None  # the comment waits for staff
    assert mine["requested_datetime"].endswith("+09:00")
    body = listed.get_data(as_text=True)
    assert chat.USER not in body and "本町3丁目" not in body and "穴が深い" not in body
    staff = make_staff(app)
    login(client, staff["editor"])
    client.post(f"/admin/reports/{report.id}/publish", data={"csrf_token": csrf(client, f"/admin/reports/{report.id}"),
                                                              "public": "1"})
    client.post(f"/admin/reports/{report.id}/status", data={
        "csrf_token": csrf(client, f"/admin/reports/{report.id}"), "status": "done", "message": "補修しました"})
    (one,) = client.get(f"/open311/v2/requests/{report.receipt}.json").json
    assert "穴が深いです" in one["description"] and one["status"] == "closed" and one["status_notes"] == "対応完了"
    assert "補修しました" not in client.get("/open311/v2/requests.json").get_data(as_text=True)
    closed = client.get("/open311/v2/requests.json?status=closed&service_code=road").json
    assert [r["service_request_id"] for r in closed] == [report.receipt]


def test_errors_in_the_specs_shape(client) -> None:
    missing = client.get("/open311/v2/requests/2026-999999.json")
    assert missing.status_code == 404 and missing.json[0]["code"] == 404
    bad = client.get("/open311/v2/requests.json?start_date=yesterday")
    assert bad.status_code == 400 and "start_date" in bad.json[0]["description"]
    assert client.get("/open311/v2/requests.json?status=maybe").status_code == 400
    assert client.post("/open311/v2/requests.json").status_code == 405


def test_several_towns_need_a_jurisdiction(multi_app) -> None:
    client = multi_app.test_client()
    assert client.get("/open311/v2/services.json").status_code == 400
    assert client.get("/open311/v2/services.json?jurisdiction_id=nowhere").status_code == 404
    assert client.get("/open311/v2/requests.json?jurisdiction_id=minato").json == []
