"""The incremental page decoder (sans-IO): every body shape, every split, every failure."""

from __future__ import annotations

import json
import random
from typing import Any

import msgspec
import pytest

from krill_async import DecodeError, Host, IncompleteBody, KrillError, projection
from krill_async._stream_decode import IncrementalPageDecoder

from .test_monitoring_models import HOST_ALARM_FRAGMENT, PAGE_ALARM_REGTAG, SERVICE_PONDESV_FRAGMENT, repaired


class Item(msgspec.Struct, gc=False):
    id: int
    text: str = ""
    nested: Any = None


class WithRaw(msgspec.Struct):
    id: int
    nested: msgspec.Raw = msgspec.Raw(b"null")


def run(
    body: bytes, model: Any = Item, *, chunk: int = 1 << 30, batch: int = 256, **kwargs: Any
) -> tuple[list[Any], IncrementalPageDecoder[Any], int]:
    """Feed ``body`` in pieces of ``chunk`` bytes; returns records, the decoder and the largest buffer seen."""
    decoder: IncrementalPageDecoder[Any] = IncrementalPageDecoder(model, batch_bytes=batch, **kwargs)
    items: list[Any] = []
    peak = 0
    for start in range(0, len(body), chunk):
        decoder.feed(body[start : start + chunk])
        while (got := decoder.next_batch()) is not None:
            items += got
        peak = max(peak, decoder.buffered)
    items += decoder.finish()
    return items, decoder, peak


TRICKY = [
    "plain",
    'quote " inside',
    'backslash \\ and \\" escaped quote',
    "braces } { ] [ unbalanced }}",
    'the boundary text },{"id": inside',
    '"}, {"text": "x"}, {',
    "unicode ñ € 𝄞 and \u0000 control",
    "ends with backslash \\",
]


def records(n: int, rng: random.Random | None = None) -> list[dict[str, Any]]:
    rng = rng or random.Random(5)
    out = []
    for i in range(n):
        text = TRICKY[i % len(TRICKY)] * (1 + rng.randrange(3))
        nested: Any = None
        if i % 3 == 0:  # look-alikes: arrays of objects that start like a record
            nested = [{"id": -1, "text": "}{", "nested": [{"id": -2}]}, {"id": -3}]
        elif i % 3 == 1:
            nested = {"id": i, "text": "]", "deep": {"a": [1, [2, [3]]]}}
        item = {"id": i, "text": text, "nested": nested}
        if i % 4 == 0:  # mixed key order
            item = dict(reversed(list(item.items())))
        out.append(item)
    return out


def envelope(items: list[Any], *, pretty: bool = False, results_last: bool = True, **extra: Any) -> bytes:
    head = {"count": len(items), "next": "http://pre1:4280/api/v2/monitoring/search?limit=5&offset=5", "previous": None}
    head.update(extra)
    body = {**head, "results": items} if results_last else {"results": items, **head}
    return json.dumps(body, indent=2 if pretty else None, separators=None if pretty else (",", ":")).encode()


@pytest.mark.parametrize("pretty", [False, True])
@pytest.mark.parametrize("chunk", [1, 7, 64, 1000, 1 << 20])
def test_every_split_of_compact_and_pretty_bodies(pretty: bool, chunk: int) -> None:
    items = records(60)
    body = envelope(items, pretty=pretty)
    got, decoder, _ = run(body, chunk=chunk, batch=300)
    assert [msgspec.to_builtins(x) for x in got] == [
        {"id": i["id"], "text": i["text"], "nested": i["nested"]} for i in items
    ]
    assert decoder.count == 60 and decoder.next is not None and decoder.previous is None
    assert decoder.batches > 5  # really cut into batches, not decoded whole at the end


def test_keys_after_results_and_results_first() -> None:
    items = records(20)
    got, decoder, _ = run(envelope(items, results_last=False), chunk=50, batch=100)
    assert [x.id for x in got] == list(range(20))
    assert decoder.count == 20 and decoder.next == "http://pre1:4280/api/v2/monitoring/search?limit=5&offset=5"


@pytest.mark.parametrize(
    "body", [b'{"count":0,"next":null,"previous":null,"results":[]}', b'{"results": [ ] }', b"[]", b" [ ] "]
)
def test_empty_results(body: bytes) -> None:
    for chunk in (1, 100):
        got, decoder, _ = run(body, chunk=chunk)
        assert got == [] and decoder.count == 0 if body.strip().startswith(b'{"count') else got == []


def test_bare_array_is_one_complete_page() -> None:
    items = records(30)
    got, decoder, _ = run(json.dumps(items).encode(), chunk=33, batch=200)
    assert [x.id for x in got] == list(range(30)) and decoder.count == 30 and decoder.next is None


def test_memory_stays_about_one_batch() -> None:
    items = records(3000)
    body = envelope(items)
    got, decoder, peak = run(body, chunk=4096, batch=8192)
    assert len(got) == 3000 and len(body) > 40 * 8192
    assert peak < 8192 + 4096 + 2048  # one batch, one chunk and a partial record, never the body
    assert decoder.bytes_fed == len(body)


def test_one_huge_piece_is_still_cut_into_batches() -> None:
    body = envelope(records(2000))
    got, decoder, _ = run(body, batch=8192)
    assert len(got) == 2000 and decoder.batches >= len(body) // (2 * 8192)


def test_a_record_larger_than_a_batch() -> None:
    items = [{"id": 1, "text": "x" * 50_000}, {"id": 2, "text": "y"}, {"id": 3, "text": "z" * 30_000}]
    got, _, _ = run(envelope(items), chunk=1000, batch=1024)
    assert [(x.id, len(x.text)) for x in got] == [(1, 50_000), (2, 1), (3, 30_000)]


def test_nested_look_alikes_of_the_boundary_are_never_cut() -> None:
    host = msgspec.json.decode(repaired(HOST_ALARM_FRAGMENT))
    service = msgspec.json.decode(repaired(SERVICE_PONDESV_FRAGMENT))
    del service["attrs"]["vars"]
    objects = []
    for i in range(40):
        obj = json.loads(json.dumps(host))
        obj["name"] = f"cpe{i}"
        obj["joins"] = {"services": [dict(service, name=f"cpe{i}!s{k}") for k in range(i % 4)]}
        objects.append(obj)
    for pretty in (False, True):
        got, _, _ = run(envelope(objects, pretty=pretty), Host, chunk=777, batch=3000)
        assert [h.name for h in got] == [f"cpe{i}" for i in range(40)]
        assert [len(h.services) for h in got] == [i % 4 for i in range(40)]


def test_strings_with_unbalanced_brackets_use_the_exact_scanner() -> None:
    items = [{"id": i, "text": "[" * (1 + i % 3)} for i in range(200)]  # every record opens more than it closes
    got, decoder, _ = run(envelope(items), chunk=512, batch=600)
    assert [x.id for x in got] == list(range(200)) and [x.text for x in got] == [i["text"] for i in items]
    assert decoder.fallback_cuts > 0  # the bracket count was fooled; the exact scanner took over


def test_results_nested_before_the_real_one() -> None:
    body = b'{"meta":{"results":[{"id":99}]},"count":1,"results":[{"id":1}]}'
    for chunk in (1, 5, 100):
        got, decoder, _ = run(body, chunk=chunk)
        assert [x.id for x in got] == [1] and decoder.count == 1


def test_vendor_page_and_projection() -> None:
    got, decoder, _ = run(PAGE_ALARM_REGTAG, projection(regid="attrs.vars.cpe_registration_id"), chunk=3)
    assert [r.to_dict() for r in got] == [{"regid": "0/3/9-15"}] and decoder.count == 1


def test_bytes_and_raw_fields_are_copies() -> None:
    items = records(200)
    got, _, _ = run(envelope(items), bytes, chunk=100, batch=500)
    assert all(type(x) is bytes for x in got)
    assert [json.loads(x)["id"] for x in got] == list(range(200))
    raws, decoder, _ = run(envelope(items), WithRaw, chunk=100, batch=500)
    assert [json.loads(bytes(x.nested)) for x in raws] == [i["nested"] for i in items]
    # the Raw values hold their own batch, never the decoder's buffer: it could shrink and be reused
    assert decoder.buffered == 0


@pytest.mark.parametrize("model", [Item, dict, bytes])
def test_every_truncation_is_incomplete_body(model: Any) -> None:
    body = envelope(records(6))
    for cut in range(len(body) - 1):
        decoder: IncrementalPageDecoder[Any] = IncrementalPageDecoder(model, batch_bytes=64, url="http://h/x")
        decoder.feed(body[:cut])
        while decoder.next_batch() is not None:
            pass
        with pytest.raises(IncompleteBody) as info:
            decoder.finish()
        assert info.value.url == "http://h/x"


def test_malformed_and_mismatched_bodies() -> None:
    with pytest.raises(DecodeError) as info:
        run(b'{"results": [{"id": 1}, {"id": 2,, }]}', chunk=4)
    assert info.value.malformed
    body = envelope([{"id": i} for i in range(50)] + [{"id": "not an int"}] + [{"id": i} for i in range(50)])
    with pytest.raises(DecodeError) as info:
        run(body, chunk=100, batch=200, url="http://h/s", offset=40)
    assert not info.value.malformed and info.value.offset == 40 and "not an int" not in str(info.value).split(":")[0]
    with pytest.raises(DecodeError):
        run(b'{"results": 5}')


def test_a_decoder_is_used_once() -> None:
    decoder: IncrementalPageDecoder[Any] = IncrementalPageDecoder(Item)
    decoder.feed(b"[]")
    assert decoder.finish() == []
    with pytest.raises(KrillError):
        decoder.feed(b"[]")
    with pytest.raises(KrillError):
        decoder.finish()
    with pytest.raises(ValueError):
        IncrementalPageDecoder(Item, batch_bytes=0)


def _random_value(rng: random.Random, depth: int) -> Any:
    kind = rng.randrange(7 if depth < 4 else 4)
    if kind == 0:
        return rng.randrange(-(10**9), 10**9)
    if kind == 1:
        return rng.random() * 1000 - 500
    if kind == 2:
        return "".join(rng.choice('ab"\\{}[],: ñ\n') for _ in range(rng.randrange(12)))
    if kind == 3:
        return rng.choice([None, True, False])
    if kind in (4, 5):
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {f"k{rng.randrange(5)}": _random_value(rng, depth + 1) for _ in range(rng.randrange(4))}


@pytest.mark.parametrize("seed", range(12))
def test_random_documents_random_splits(seed: int) -> None:
    rng = random.Random(seed)
    items = [_random_value(rng, 0) for _ in range(rng.randrange(1, 120))]
    body = envelope(items, pretty=seed % 2 == 0)
    points = sorted(rng.sample(range(1, len(body)), min(40, len(body) - 1)))
    decoder: IncrementalPageDecoder[Any] = IncrementalPageDecoder(Any, batch_bytes=rng.choice([32, 200, 1500]))
    got: list[Any] = []
    for start, end in zip([0, *points], [*points, len(body)], strict=True):
        decoder.feed(body[start:end])
        while (batch := decoder.next_batch()) is not None:
            got += batch
    got += decoder.finish()
    assert got == json.loads(body)["results"]
