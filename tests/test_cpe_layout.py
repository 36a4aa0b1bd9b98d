"""Which URL a CPE action or link goes to, given what the client knows: the pure functions, no HTTP."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from yarl import URL

from krill_async import Cpe, KrillError
from krill_async.apps.isp.layout import (
    ISP_TEMPLATE,
    VENDOR_TEMPLATE,
    Attempt,
    LayoutMemory,
    cpe_url,
    fill,
    first_attempt,
    informed_attempt,
    learn_template,
    record_links,
    template_from_link,
)
from krill_async.errors import UnsafeURLError

from ._samples import postman_links, v2_cpe

ROOT = URL("https://krill.example.net/proxy/")


def cpe(**changes: Any) -> Cpe:
    return msgspec.json.decode(json.dumps(v2_cpe(**changes)), type=Cpe)


def links_at(prefix: str, cpe_id: int, *, trailing: str = "") -> dict[str, dict[str, str]]:
    return {
        "actions": {"reboot": f"{prefix}{cpe_id}/reboot{trailing}", "diagnostic": f"{prefix}{cpe_id}/cwmp_diagnostic"},
        "links": {"customer": f"{prefix}{cpe_id}/customer{trailing}", "cdrs": f"{prefix}{cpe_id}/events?type=cdr"},
    }


# ------------------------------------------------------------------------------------------ templates


def test_fill_puts_a_segment_query_after_the_whole_path() -> None:
    assert fill(VENDOR_TEMPLATE, "5", "reboot") == "/api/v2/cpes/5/reboot"
    assert fill("/api/v2/cpes/{id}/{segment}/", "5", "events?type=cdr") == "/api/v2/cpes/5/events/?type=cdr"
    assert fill("isp/cpes/{id}/{segment}", "pim%201", "info") == "isp/cpes/pim%201/info"
    assert fill(VENDOR_TEMPLATE, "{segment}", "x") == "/api/v2/cpes/{segment}/x"  # no placeholder injection


@pytest.mark.parametrize(
    ("link", "ident", "segment", "template"),
    [
        ("/api/v2/cpes/350/reboot", "350", "reboot", VENDOR_TEMPLATE),
        ("/api/v2/isp/cpes/585/cwmp_diagnostic", "585", "cwmp_diagnostic", ISP_TEMPLATE),
        ("/api/v2/cpes/350/reboot/", "350", "reboot", "/api/v2/cpes/{id}/{segment}/"),
        ("http://pre1:4280/krill/api/v2/devices/9/info", "9", "info", "/api/v2/devices/{id}/{segment}"),
        ("/api/v2/cpes/350/events?type=cdr", "350", "events?type=cdr", VENDOR_TEMPLATE),
        ("/api/v2/cpes/350/reboot", None, "reboot", VENDOR_TEMPLATE),  # no id to check: any id segment
        ("/api/v2/cpes/351/reboot", "350", "reboot", None),  # another CPE's link
        ("/api/v2/cpes/350/factory", "350", "reboot", None),  # another action
        ("/api/v2/cpes/reboot", "350", "reboot", None),  # no id segment
        ("file:///api/v2/cpes/350/reboot", "350", "reboot", None),  # a refused scheme teaches nothing
        ("/api/v2/{x}/350/reboot", "350", "reboot", None),  # braces: never a template
        ("", "350", "reboot", None),
    ],
)
def test_template_from_link(link: str, ident: str | None, segment: str, template: str | None) -> None:
    assert template_from_link(link, ident, segment) == template


def test_learn_template_from_records_and_dicts_of_every_sample() -> None:
    assert learn_template(cpe(), "actions") == VENDOR_TEMPLATE  # the overview and the 2025 data
    assert learn_template(cpe(id=585, _links=postman_links(585)), "links") == ISP_TEMPLATE  # Postman sample
    assert learn_template(v2_cpe(_links=links_at("/api/v2/isp/cpes/", 350)), "actions") == ISP_TEMPLATE
    assert learn_template(cpe(_links=None), "actions") is None
    assert learn_template({"id": 1}, "links") is None
    assert learn_template(cpe(_links={"actions": {"reboot": "/elsewhere"}}), "actions") is None


def test_record_links_tells_absent_links_from_an_absent_kind() -> None:
    assert record_links(cpe(_links=None), "actions") is None
    assert record_links({"id": 1}, "actions") is None
    assert record_links(cpe(_links={"links": {"info": "/x"}}), "actions") == {}
    assert record_links({"_links": {"actions": {"reboot": "/r", "bad": 3}}}, "actions") == {"reboot": "/r"}
    assert record_links(cpe(), "links")["cdrs"] == "/api/v2/cpes/350/events?type=cdr"  # type: ignore[index]


# ------------------------------------------------------------------------------------------ the first attempt


def test_first_attempt_prefers_the_record_then_forced_then_learnt_then_the_vendor_form() -> None:
    record = cpe(id=585, _links=postman_links(585))
    assert first_attempt(record, "actions", "reboot", "reboot", forced=VENDOR_TEMPLATE, learnt=None) == Attempt(
        "/api/v2/isp/cpes/585/reboot", "record", link=True
    )
    bare = first_attempt(5, "actions", "reboot", "reboot", forced=ISP_TEMPLATE, learnt=VENDOR_TEMPLATE)
    assert bare == Attempt("/api/v2/isp/cpes/5/reboot", "forced") and not bare.may_retry
    learnt = first_attempt("5", "links", "info", "info", forced=None, learnt="/api/v2/devices/{id}/{segment}/")
    assert learnt == Attempt("/api/v2/devices/5/info/", "learnt") and learnt.may_retry
    default = first_attempt(Cpe(id=7), "actions", "diagnostic", "cwmp_diagnostic", forced=None, learnt=None)
    assert default == Attempt("/api/v2/cpes/7/cwmp_diagnostic", "default") and default.may_retry
    assert not Attempt("/x", "record", link=True).may_retry and not Attempt("/x", "informed").may_retry


# ------------------------------------------------------------------------------------------ the informed retry


def informed(tried: str, fetched: Any, name: str = "reboot", segment: str = "reboot") -> Attempt | None:
    url = cpe_url(ROOT, Attempt(tried, "default"))
    return informed_attempt(url, fetched, "actions", name, segment, "5", ROOT)


def test_the_record_own_link_is_the_informed_retry_unless_it_is_what_failed() -> None:
    isp = cpe(id=5, _links=links_at("/api/v2/isp/cpes/", 5))
    assert informed("/api/v2/cpes/5/reboot", isp) == Attempt("/api/v2/isp/cpes/5/reboot", "informed", link=True)
    vendor = cpe(id=5, _links=links_at("http://pre1:4280/api/v2/cpes/", 5))  # same path, another host
    assert informed("/api/v2/cpes/5/reboot", vendor) is None


def test_without_links_the_other_known_form_is_tried_and_never_the_failed_one() -> None:
    bare = cpe(id=5, _links=None)
    assert informed("/api/v2/cpes/5/reboot", bare) == Attempt("/api/v2/isp/cpes/5/reboot", "informed")
    assert informed("/api/v2/isp/cpes/5/reboot", bare) == Attempt("/api/v2/cpes/5/reboot", "informed")
    assert informed("/api/v2/devices/5/reboot", None) == Attempt("/api/v2/cpes/5/reboot", "informed")


def test_links_without_this_action_lend_the_layout_of_the_others() -> None:
    other = cpe(id=5, _links={"links": {"info": "/api/v2/isp/cpes/5/info"}})
    assert informed("/api/v2/cpes/5/reboot", other) == Attempt("/api/v2/isp/cpes/5/reboot", "informed")
    same = cpe(id=5, _links={"actions": {"factory": "/api/v2/cpes/5/factory"}})
    assert informed("/api/v2/cpes/5/reboot", same) is None
    unusable = cpe(id=5, _links={"actions": {"factory": "/odd"}})
    assert informed("/api/v2/cpes/5/reboot", unusable) is None


# ------------------------------------------------------------------------------------------ URLs and safety


def test_every_url_stays_on_the_configured_origin_and_prefix() -> None:
    assert str(cpe_url(ROOT, Attempt("http://evil.example:81/x/api/v2/cpes/5/reboot", "record", link=True))) == (
        "https://krill.example.net/proxy/api/v2/cpes/5/reboot"
    )
    assert str(cpe_url(ROOT, Attempt("/api/v2/cpes/5/events?type=cdr", "learnt"))) == (
        "https://krill.example.net/proxy/api/v2/cpes/5/events?type=cdr"
    )
    assert str(cpe_url(ROOT, Attempt("isp/cpes/5/info", "forced"))) == (
        "https://krill.example.net/proxy/api/v2/isp/cpes/5/info"
    )


@pytest.mark.parametrize("link", ["file:///etc/passwd", "javascript:alert(1)", "ftp://krill.example.net/api/", " "])
def test_a_refused_link_is_a_typed_krill_error_not_a_bare_value_error(link: str) -> None:
    with pytest.raises(UnsafeURLError) as info:
        cpe_url(ROOT, Attempt(link, "record", link=True))
    assert isinstance(info.value, KrillError)


def test_a_forced_template_on_another_origin_is_refused_typed() -> None:
    with pytest.raises(UnsafeURLError):
        cpe_url(ROOT, Attempt("https://other.example/api/v2/cpes/5/reboot", "forced"))


# ------------------------------------------------------------------------------------------ the memory


def test_memory_learns_once_borrows_across_kinds_and_is_replaced_only_when_asked() -> None:
    memory = LayoutMemory()
    assert memory.template("actions") is None and not memory.complete
    assert memory.learn({"id": 5, "_links": {"links": {"info": "/api/v2/isp/cpes/5/info"}}})
    assert memory.template("actions") == memory.template("links") == ISP_TEMPLATE  # borrowed
    assert memory.learn(cpe()) and memory.complete  # actions were not known yet: learnt from the record
    assert memory.template("actions") == VENDOR_TEMPLATE and memory.template("links") == ISP_TEMPLATE
    assert not memory.learn(cpe(id=6, _links=links_at("/api/v2/devices/", 6)))  # known: kept
    assert memory.learn(cpe(id=6, _links=links_at("/api/v2/devices/", 6)), replace=True)
    assert memory.template("links") == "/api/v2/devices/{id}/{segment}"
    assert LayoutMemory().template("links") is None  # another client's memory is its own


def test_confirm_remembers_what_answered_but_never_a_forced_template() -> None:
    memory = LayoutMemory()
    memory.confirm("actions", Attempt("/api/v2/isp/cpes/5/reboot", "forced"), "5", "reboot")
    assert memory.template("actions") is None
    memory.confirm("actions", Attempt("/api/v2/isp/cpes/5/reboot", "default"), "5", "reboot")
    assert memory.template("actions") == ISP_TEMPLATE
    # a link naming the numeric id when the caller gave an internal_id still teaches the layout
    memory.confirm("links", Attempt("http://h/api/v2/cpes/350/info", "informed", link=True), "pim0350", "info")
    assert memory.template("links") == VENDOR_TEMPLATE
