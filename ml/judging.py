"""Relevance of "like X" pairs, judged by a fixed rule and kept in the labelled query file.

A perfume Y is judged against the reference X by two plain facts: the notes they share
(the same material: synonyms such as orris and iris count as one note) and how many steps
apart their families sit on the Fragrance Wheel.
- grade 3: at least 4 shared notes, families at most one step apart;
- grade 2: at least 3 shared notes, families at most one step apart;
- grade 1 / 0 (not stored): anything less.
Grades 2 and 3 are relevant. X itself, X's editions and unverified perfumes are not judged
(unverified rows are no ground truth); nor is anything when X itself is unverified. The rule
is deliberately simpler than the ranking's likeness (a count, no tiers, no rarity, no
embedding, a hard cut on the wheel), so a ranking cannot score well by copying it.

`python -m ml.judging` rewrites the `judged` field of every like query in the labelled file
from the current catalogue; a unit test checks that the stored judgements still hold.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ml.evaluation import QUERIES_FILE
from ml.knowledge import Catalog, Perfume
from ml.likeness import wheel_steps
from ml.names import NameIndex
from ml.notes import material

RELEVANT_SHARED, STRONG_SHARED, MAX_STEPS = 3, 4, 1


def judge_pair(reference: Perfume, other: Perfume) -> int:
    """The grade of `other` for "like `reference`" (see the module doc)."""
    shared = len({material(n) for n in reference.notes} & {material(n) for n in other.notes})
    if wheel_steps(reference.family, other.family) > MAX_STEPS or shared < RELEVANT_SHARED:
        return 0
    return 3 if shared >= STRONG_SHARED else 2


def judge(catalog: Catalog, reference_id: str) -> dict[str, int]:
    """Every verified perfume's stored grade (2 or 3) for "like `reference_id`"."""
    reference = catalog.perfume(reference_id)
    if not reference.verified:
        return {}
    own = NameIndex.build(catalog.perfumes).editions(reference_id)
    grades = {p.id: judge_pair(reference, p) for p in catalog.perfumes
              if p.verified and p.id not in own}
    return {i: g for i, g in sorted(grades.items()) if g >= 2}


def rewrite(path: Path, catalog: Catalog) -> int:
    """Re-judge every like query of the file in place; returns how many were judged."""
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    judged = 0
    for row in rows:
        if "like" in row["relevant"]:
            row["relevant"]["judged"] = judge(catalog, row["relevant"]["like"])
            judged += 1
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return judged


def main(argv: Sequence[str] | None = None) -> int:
    path = Path(argv[0]) if argv else QUERIES_FILE
    print(f"judged {rewrite(path, Catalog.load())} like queries in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
