"""The headline route: two headlines (one item without text) join on a shared name and a
shared event term when they read alike; optional embeddings only judge pairs that pass that
gate; without the `embeddings` extra grouping falls back to TF-IDF titles."""

from __future__ import annotations

import builtins
import logging
import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from aggregator.cluster import Clusterer, ClusterSettings, cluster_stream
from aggregator.embed import headline_embedder
from aggregator.models import Item

T0 = datetime(2024, 6, 3, 9, 0, tzinfo=UTC)
OFF = replace(ClusterSettings(), headline_pair_threshold=9.0)  # the route switched off


def item(item_id: str, title: str, outlet: str, minutes: int) -> Item:
    when = T0 + timedelta(minutes=minutes)
    return Item(id=item_id, title=title, outlet=outlet, published=when, first_seen=when)


def filler() -> list[Item]:
    """Unrelated headlines, so that document frequencies mean something."""
    lines = [
        "Apple growers in Keldon report a record harvest",
        "Sailors from Pellow win the coastal regatta",
        "The Aster museum reopens its fossil hall",
        "Teenager Ivo Marek takes the national chess title",
        "Commuters face delays as signal works close the Tavin line",
        "A family bakery in Oldmere wins a prize for its rye bread",
    ]
    return [item(f"f{k}", f"{lines[k % 6]} ({k})", f"f{k % 6}.example", k) for k in range(12)]


# Two headlines of one event that share a name (Kestrel) and one event term (recall), and
# otherwise use other words: fewer than the three shared terms the title-and-text route needs.
PAIR = ("Carmaker Kestrel orders recall", "A costly Kestrel recall")


def test_headlines_sharing_a_name_and_an_event_term_join() -> None:
    items = [*filler(), item("a", PAIR[0], "a.example", 60), item("b", PAIR[1], "b.example", 70)]
    on, off = cluster_stream(items, ClusterSettings()), cluster_stream(items, OFF)
    assert on["b"] == on["a"]
    assert off["b"] != off["a"]


def test_headlines_sharing_names_only_stay_apart() -> None:
    """The same people in two events: names alone never join two headlines."""
    a = item("a", "Ilse Brandt and Oskar Lindqvist sign a film deal", "a.example", 60)
    b = item("b", "Ilse Brandt and Oskar Lindqvist visit a preschool", "b.example", 70)
    result = cluster_stream([*filler(), a, b], replace(ClusterSettings(), embeddings=True))
    assert result["a"] != result["b"]


class Agreeable:
    """A stub embedder that calls every pair of headlines identical."""

    def __init__(self) -> None:
        self.calls = 0

    def vector(self, headline: str) -> object:
        self.calls += 1
        return headline

    def cosine(self, a: object, b: object) -> float:
        return 1.0


def test_embeddings_judge_only_pairs_that_share_a_name_and_an_event_term() -> None:
    # Share only "Kestrel": however alike an embedder finds them, they stay apart.
    lone = [*filler(), item("a", PAIR[0], "a.example", 60)]
    lone.append(item("b", "Investors see Kestrel shares slide in Brona", "b.example", 70))
    embedder = Agreeable()
    assert cluster_stream(lone, ClusterSettings(), embedder)["b"] != "a"
    # Share "Kestrel" and "recall" but read differently to TF-IDF: the embedder decides.
    pair = [*filler(), item("a", PAIR[0], "a.example", 60)]
    pair.append(
        item("b", "Dealers of Kestrel told to halt sales in a wide recall", "b.example", 70)
    )
    strict = replace(ClusterSettings(), headline_pair_threshold=0.99)
    assert cluster_stream(pair, strict)["b"] != "a"
    assert cluster_stream(pair, strict, Agreeable())["b"] == "a"


def test_without_the_extra_grouping_falls_back_to_tfidf(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real_import = builtins.__import__

    def no_wordllama(name: str, *args: object, **kwargs: object) -> object:
        if name.split(".")[0] == "wordllama":
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_wordllama)
    assert headline_embedder(False) is None
    with caplog.at_level(logging.WARNING, logger="aggregator.embed"):
        assert headline_embedder(True) is None
    assert "aggregator[embeddings]" in caplog.text


def test_wordllama_loads_offline_and_tells_paraphrase_from_other_news(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("wordllama", reason="the 'embeddings' extra is not installed")

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the embedding model must load without network access")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    embedder = headline_embedder(True)
    assert embedder is not None
    first = embedder.vector("Premier rejects calls to resign over budget leak")
    paraphrase = embedder.vector("Premier rebuffs fresh calls to step down after budget leak")
    other = embedder.vector("Family bakery wins a prize for its rye bread")
    assert embedder.cosine(first, first) == pytest.approx(1.0, abs=1e-4)
    assert embedder.cosine(first, paraphrase) > embedder.cosine(first, other) + 0.2


def test_a_restored_story_is_matched_on_its_headline_too() -> None:
    """After a restart the profile members' headlines are back: embeddings still judge."""

    class ReadsHeadlines(Agreeable):
        def cosine(self, a: object, b: object) -> float:
            return 1.0 if a and b else 0.0  # a member without its headline matches nothing

    before = [*filler(), item("a", PAIR[0], "a.example", 60)]
    placed = cluster_stream(before, ClusterSettings())
    stored = [replace(i, story_id=placed[i.id]) for i in before]
    strict = replace(ClusterSettings(), headline_pair_threshold=0.99)
    clusterer = Clusterer(strict, ReadsHeadlines())
    clusterer.restore(stored)
    later = item("b", PAIR[1], "b.example", 70)
    assert clusterer.assign(later, later.published or T0).story_id == "a"
