"""Page planning (pure functions, no HTTP)."""

from __future__ import annotations

import pytest
from yarl import URL

from krill_async import PaginationError
from krill_async._paging import LinkGuard, contradicts_count, effective_page_size, offset_of, plan_offsets


def test_effective_size_from_capped_limit_in_next() -> None:
    # asked 5000, server capped at 1000: DRF writes the capped limit into `next`
    nxt = URL("https://k/api/v2/isp/cpes/?limit=1000&offset=1000")
    assert effective_page_size(requested=5000, offset=0, next_url=nxt, received=1000) == 1000


def test_effective_size_from_offset_step_when_next_has_no_limit() -> None:
    nxt = URL("https://k/api/v2/x/?offset=250")
    assert effective_page_size(requested=1000, offset=0, next_url=nxt, received=250) == 250


def test_effective_size_from_results_when_next_is_silent() -> None:
    nxt = URL("https://k/api/v2/x/?cursor=abc")
    assert effective_page_size(requested=1000, offset=0, next_url=nxt, received=300) == 300


def test_effective_size_last_or_empty_page() -> None:
    assert effective_page_size(requested=100, offset=0, next_url=None, received=7) == 7
    assert effective_page_size(requested=100, offset=0, next_url=None, received=0) == 100


def test_plan_offsets() -> None:
    assert list(plan_offsets(first_offset=0, page_size=1000, count=3500)) == [1000, 2000, 3000]
    assert list(plan_offsets(first_offset=0, page_size=1000, count=1000)) == []
    assert list(plan_offsets(first_offset=0, page_size=10, count=0)) == []
    assert list(plan_offsets(first_offset=42, page_size=3, count=50)) == [45, 48]
    assert list(plan_offsets(first_offset=0, page_size=10, count=100, end=35)) == [10, 20, 30]
    with pytest.raises(ValueError):
        plan_offsets(first_offset=0, page_size=0, count=10)


def test_offset_of() -> None:
    assert offset_of(URL("https://k/x/?limit=5")) == 0  # DRF drops offset=0 in `previous`
    assert offset_of(URL("https://k/x/?limit=5&offset=10")) == 10
    assert offset_of(URL("https://k/x/?offset=junk")) == 0


def test_link_guard_refuses_loops_and_backward_links() -> None:
    guard = LinkGuard()
    guard.check(URL("https://k/x/?limit=5"))
    guard.check(URL("https://k/x/?limit=5&offset=5"))
    with pytest.raises(PaginationError, match="endless loop"):
        guard.check(URL("https://k/x/?limit=5&offset=5"))
    with pytest.raises(PaginationError):
        guard.check(URL("https://k/x/?limit=5&offset=0"))


def test_a_page_contradicts_its_count_only_where_drf_would_have_linked_a_next_one() -> None:
    def contradicts(offset: int, asked: int | None, count: int | None, linked: bool = False, got: int = 20) -> bool:
        return contradicts_count(offset=offset, asked=asked, received=got, count=count, linked=linked)

    assert contradicts(0, 20, 2000)  # offset + limit < count, and no next link
    assert not contradicts(0, 20, 2000, linked=True)
    assert not contradicts(900, 100, 1000)  # the last page, however short (DRF's count/slice race)
    assert not contradicts(980, 100, 1000)  # past the count
    assert not contradicts(0, 20, None) and not contradicts(0, None, 2000)  # nothing to compare with
    assert not contradicts(0, 20, 2000, got=2000)  # a server that ignored the limit sent every record
