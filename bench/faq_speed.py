"""Benchmark: FAQ matching latency at 1k / 10k / 100k entries vs. the naive rapidfuzz scan.

Builds synthetic Japanese knowledge bases (3 phrasings per entry, answers of realistic length) from the
demo pack's vocabulary, then times ``Matcher.match`` (the webhook's matcher: normalization, index,
rescoring, sentence-vector similarity, policy) and, on the same queries,
``rapidfuzz.process.extractOne(query, all_phrasings, scorer=WRatio)`` (on every 33rd query, between the
matcher's, so both are timed in the same stretch of time). The matcher is warmed up first as a worker
is when it starts (``Matcher.warm_up``: encoder loaded, token memo filled from the questions). Prints
one JSON object: per size ``entries, p50_ms, p99_ms, build_s, rss_mb, naive_p50_ms, speedup`` plus
``lexical_p50_ms`` (the same matcher without its sentence-vector stage) and ``growth_10k_to_100k`` (p50
ratios, both ways).

Sentence vectors: the query is encoded by the real encoder on every match (as in production), but the
knowledge base's stored vectors are seeded random unit vectors of the real shape, held as the
matcher holds real ones (int8 rows with a scale, one per phrasing plus one per entry): encoding
500,000 synthetic texts would take most of an hour and the query path's cost (gathering 40 candidates' rows, dot products) does not depend on their
values. ``rss_mb`` includes them. Encoding throughput at save time is reported as
``encode_texts_per_s`` (measured on 500 of the synthetic phrasings).

Usage: python bench/faq_speed.py --json [--sizes 1000,10000,100000] [--queries 1000]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from core.tenancy import Thresholds, default_municipality  # noqa: E402
from faq.kb import build_normalizer  # noqa: E402
from faq.packs import load_pack_file  # noqa: E402
from search.index import EntryIndex, EntryVectors, IndexedEntry  # noqa: E402
from search.matcher import Matcher  # noqa: E402
from search.vectors import DIM, encoder  # noqa: E402

PACK = Path(__file__).resolve().parent.parent / "faq" / "data" / "demo_pack.yaml"
TEMPLATES = ["{a}の{b}について知りたい", "{a}を{v}したい", "{a}の{b}はどこでできますか", "{a}と{b}の{c}を教えてください",
             "{a}の{b}に必要なもの", "{a}で{b}を{v}する方法", "{a}の{b}はいつまでですか", "{b}の{a}を{v}できますか"]
VERBS = ["申請", "変更", "予約", "確認", "登録", "相談", "利用", "届出", "解約", "更新"]


def rss_mb() -> float:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * 4096 / 1024 / 1024
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def vocabulary(normalizer) -> list[str]:
    words: set[str] = set()
    for entry in load_pack_file(PACK):
        for text in [entry["question"], *entry["alt_questions"], *entry["keywords"], entry["answer"]]:
            for m in normalizer._morphemes(text):  # noqa: SLF001 - surface nouns for realistic text
                if m.part_of_speech()[0] == "名詞" and len(m.surface()) >= 2:
                    words.add(m.surface())
    return sorted(words)


def synthetic(n: int, nouns: list[str], rng: random.Random) -> list[dict]:
    entries = []
    for i in range(n):
        a, b, c = rng.sample(nouns, 3)
        phrasings = [t.format(a=a, b=b, c=c, v=rng.choice(VERBS)) for t in rng.sample(TEMPLATES, 3)]
        answer = "、".join(rng.sample(nouns, 12)) + f"について、{a}の窓口でご案内しています。" * 2
        entries.append({"id": i, "phrasings": phrasings, "answer": answer, "keywords": [a, b]})
    return entries


def stand_in_vectors(size: int, phrasings: int, seed: int) -> EntryVectors:
    rng = np.random.default_rng(seed)

    def unit(n: int) -> np.ndarray:
        v = rng.standard_normal((n, DIM), dtype=np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)
    return EntryVectors.of(unit(size * phrasings), unit(size))


def timed(matcher: Matcher, queries: list[str], naive: Callable[[str], object] | None = None,
          naive_count: int = 0) -> tuple[list[float], list[float]]:
    """(sorted latencies of ``matcher.match``, sorted latencies of ``naive``). The naive scan runs on
    ``naive_count`` of the same queries spread among the matcher's, so both are measured over the
    same stretch of time: this machine's speed drifts by up to ±30% within minutes, and timing one
    after the other made the ratio swing with it. After each scan one untimed question lets the
    matcher's data back into the CPU caches the scan evicted (else 3% of the timings, the whole p99,
    would measure the scan's aftermath)."""
    matcher.warm_up()  # what a worker does when it starts (gunicorn post_worker_init)
    every = max(1, len(queries) // naive_count) if naive and naive_count else 0
    timings, naive_timings = [], []
    for i, query in enumerate(queries):
        t = time.perf_counter()
        matcher.match(query)
        timings.append((time.perf_counter() - t) * 1000)
        if every and i % every == 0 and len(naive_timings) < naive_count:
            t = time.perf_counter()
            naive(query)
            naive_timings.append((time.perf_counter() - t) * 1000)
            matcher.match(queries[i - 1])  # untimed: the 20-200 ms scan has evicted the CPU caches
    return sorted(timings), sorted(naive_timings)


def perturb(text: str, rng: random.Random) -> str:
    """A resident's version: drop particles or politeness, add colloquial endings."""
    text = text.replace("について知りたい", "のこと").replace("を教えてください", "おしえて")
    return text + rng.choice(["", "？", "です", "んだけど"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--naive-queries", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    normalizer = build_normalizer(default_municipality({}, production=False))
    nouns = vocabulary(normalizer)
    results: dict[str, dict] = {}
    for size in (int(s) for s in args.sizes.split(",")):
        rng = random.Random(size)
        data = synthetic(size, nouns, rng)
        queries = [perturb(rng.choice(rng.choice(data)["phrasings"]), rng) for _ in range(args.queries)]
        all_phrasings = [p for e in data for p in e["phrasings"]]
        gc.collect()
        before = rss_mb()
        started = time.perf_counter()
        indexed = (IndexedEntry(entry_id=e["id"], key=str(e["id"]), question=e["phrasings"][0], category="",
                                phrasings=tuple(normalizer.analyze(p) for p in e["phrasings"]),
                                keywords=tuple(w for k in e["keywords"] for w in normalizer.analyze(k).words),
                                answer_words=normalizer.analyze(e["answer"]).words) for e in data)
        matcher = Matcher(normalizer, EntryIndex(list(indexed), vectors=stand_in_vectors(size, 3, size)),
                          Thresholds())
        build_s = time.perf_counter() - started
        del data
        gc.collect()
        memory = rss_mb() - before  # the index alone (the input rows are freed; RSS rarely shrinks, so an upper bound)
        scan = partial(process.extractOne, choices=all_phrasings, scorer=fuzz.WRatio)
        timings, naive = timed(matcher, queries, scan, args.naive_queries)
        vectors, matcher.index.vectors = matcher.index.vectors, None
        lexical, _ = timed(matcher, queries)
        matcher.index.vectors = vectors
        p50 = statistics.median(timings)
        naive_p50 = statistics.median(naive)
        results[str(size)] = {"entries": size, "p50_ms": round(p50, 3),
                              "p99_ms": round(timings[min(len(timings) - 1, int(len(timings) * 0.99))], 3),
                              "build_s": round(build_s, 2), "rss_mb": round(memory, 1),
                              "naive_p50_ms": round(naive_p50, 2), "speedup": round(naive_p50 / p50, 1),
                              "lexical_p50_ms": round(statistics.median(lexical), 3)}
        del matcher, all_phrasings, scan
    if "10000" in results and "100000" in results:
        results["growth_10k_to_100k"] = round(results["100000"]["p50_ms"] / results["10000"]["p50_ms"], 2)
        results["lexical_growth_10k_to_100k"] = round(
            results["100000"]["lexical_p50_ms"] / results["10000"]["lexical_p50_ms"], 2)
    sample = [p for e in synthetic(500, nouns, random.Random(0)) for p in e["phrasings"]][:500]
    started = time.perf_counter()
    encoder().encode(sample)
    results["encode_texts_per_s"] = round(len(sample) / (time.perf_counter() - started), 1)
    print(json.dumps(results) if args.json else json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
