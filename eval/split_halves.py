"""Split a BEIR query set in two halves (by query id, alternately), for `machimado faq eval --learn-from`:
learn from one half, score the other.

    python eval/split_halves.py ../shared/eval/localgovfaq-dev /tmp/halves
    machimado faq eval --corpus …/corpus.json --queries /tmp/halves/queries-b.json --qrels …/qrels.json \\
        --learn-from /tmp/halves/queries-a.json --learn-qrels …/qrels.json --json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(source: Path, target: Path) -> None:
    queries = json.loads((source / "queries.json").read_text(encoding="utf-8"))
    ids = sorted(queries, key=lambda q: (len(q), q))
    target.mkdir(parents=True, exist_ok=True)
    for name, half in (("a", ids[0::2]), ("b", ids[1::2])):
        (target / f"queries-{name}.json").write_text(
            json.dumps({q: queries[q] for q in half}, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"queries-{name}.json: {len(half)} queries")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
