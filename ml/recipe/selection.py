"""Pick materials for a brief: score each usable material, then sample per pyramid position.

Scores come from the brief (family, sub-family, mood, season, gender), from reference perfumes'
notes (the retrieval part) and from requested notes. Sampling uses weighted keys drawn from
the caller's ``random.Random`` so a seed fixes the result.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from ml.material_limits import ALLERGEN_FREE, NATURAL_ONLY, VEGAN
from ml.notes import CHARACTER_GROUPS, GROUPS, SYNONYMS
from ml.recipe import profiles
from ml.recipe.brief import Brief
from ml.recipe.compliance import ORIGINAL_26, RuleBook
from ml.recipe.dosing import STEP, use_cap
from ml.recipe.materials import (
    JOINING_WORDS,
    POSITIONS,
    Material,
    load_materials,
    normalise_term,
)
from ml.recipe.naming import family_label
from ml.recipe.vocabulary import (
    KNOWN_NOTES,
    ODOUR_FAMILY_WORDS,
    english_form,
    is_family_word,
    is_generic,
    is_note,
    is_plant_part,
    known_stand_ins,
    respelled,
)
from ml.tokens import singular_forms

REFERENCE_KEYS = {
    "top": ("top_notes", "top"),
    "heart": ("heart_notes", "heart", "middle_notes", "middle"),
    "base": ("base_notes", "base"),
}
COUNTS = {"top": (3, 6), "heart": (4, 8), "base": (4, 8)}
CORE_PICKS = 0.5  # of a position's sampled materials, from the brief's core families
MAX_MATERIALS = 25


@dataclass(frozen=True)
class Pick:
    material: Material
    score: float
    required: bool = False


def note_matches(material: Material, note: str) -> bool:
    """True if the note names the material (id, name, synonym) or is one of its descriptors."""
    return material.matches(normalise_term(note))


def reference_notes(references: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Notes by position from reference perfumes (``top_notes`` or ``top`` keys...).

    Rows that are not mappings and values that are not lists of strings are ignored."""
    notes: dict[str, list[str]] = {p: [] for p in POSITIONS}
    for ref in references:
        if not isinstance(ref, Mapping):
            continue
        for position, keys in REFERENCE_KEYS.items():
            for key in keys:
                value = ref.get(key)
                if isinstance(value, list):
                    notes[position].extend(str(v) for v in value if isinstance(v, str))
    return notes


def _profile(brief: Brief) -> dict[str, float]:
    weights: dict[str, float] = dict(profiles.FAMILY[brief.fragrance_family])
    extras: list[Mapping[str, float]] = [profiles.SUBFAMILY.get(brief.subfamily or "", {})]
    extras += [profiles.MOOD.get(profiles.KO_MOOD.get(w, w), {}) for w in brief.moods]
    extras += [profiles.SEASON.get(brief.season or "", {}), profiles.GENDER[brief.gender]]
    for extra in extras:
        for family, weight in extra.items():
            weights[family] = weights.get(family, 0.0) + weight
    return weights


def score_materials(
    brief: Brief, candidates: Iterable[Material], references: Sequence[Mapping[str, Any]]
) -> dict[str, float]:
    """Material id -> preference score (> 0)."""
    weights = _profile(brief)
    ref_keys = {position: Counter(normalise_term(note) for note in notes)
                for position, notes in reference_notes(references).items()}
    scores = {}
    for material in candidates:
        score = 0.15 + weights.get(material.odor_family, 0.0)
        hits = material.hits(ref_keys[material.note_position])
        scores[material.id] = score + min(hits, 3) * 0.8
    return scores


def excluded(material: Material, brief: Brief) -> bool:
    """True if an excluded note names or describes the material (`Material.match_rank`), as
    written, (Korean) by its English words or by another name of the note: "musk" and
    "머스크" exclude every musky material, not only those with musk in their name. A note
    that names a family ("citrus", "floral", "시트러스") excludes the family's materials
    and every material named after or described by a note of its group (`ml.notes`:
    bergamot, lemon... for citrus)."""
    return excluding_note(material, brief) is not None


# natural materials taken from animals, by a word of their names (a vegan brief's
# animalic notes come from molecules: civetone, muscone...)
ANIMAL_SOURCES = ("beeswax", "castoreum", "civet", "ambergris", "hyraceum", "honey",
                  "musk tincture", "musk pod", "lanolin", "deer musk")


def limit_against(material: Material, limits: Sequence[str],
                  declarable: Callable[[Material], bool]) -> str | None:
    """The first of the mood's limits (`Brief.material_limits`) that leaves the material
    out; `declarable`: whether it is or carries an allergen the EU labels."""
    if ALLERGEN_FREE in limits and declarable(material):
        return ALLERGEN_FREE
    if NATURAL_ONLY in limits and material.type != "ncs":
        return NATURAL_ONLY
    if VEGAN in limits and material.type == "ncs" and any(
            word in material.name.lower() for word in ANIMAL_SOURCES):
        return VEGAN
    return None


def within_limits(material: Material, limits: Sequence[str], rules: RuleBook) -> bool:
    """Whether the mood's material limits allow the material, by the rule book's labels."""
    return limit_against(material, limits, lambda m: rules.declarable(m.id)) is None


def _labelled_by_its_row(material: Material) -> bool:
    """Whether the material's own row names an allergen it is or carries (the rule book's
    `declarable` where none is at hand: a requested note's material gone without a word,
    "hypoallergenic" and lavender, whose oil carries linalool)."""
    return material.eu_allergen is not None or any(
        high > 0 and normalise_term(name) in ORIGINAL_26
        for name, (_, high) in material.constituents.items())


def excluding_note(material: Material, brief: Brief) -> str | None:
    """The first of the brief's excluded notes that excludes the material (`excluded`)."""
    return next((note for note in brief.notes_exclude
                 if any(_excludes(form, material) for form in exclusion_forms(note))), None)


@lru_cache(maxsize=1024)
def exclusion_forms(note: str) -> tuple[str, ...]:
    """The forms an excluded note leaves materials out by: its whole forms
    (`_whole_forms`), or, when those name no shipped material, the longest runs of its
    words that are notes ("bourbon vanilla", "vanilla pod": vanilla; "sicilian lemon":
    lemon; "oud wood": oud, not the whole woody family; "white musk": musk). An exclusion
    leaves out more rather than less: "bourbon vanilla" left every vanilla material in,
    silently. () when no form names anything ("zorblax")."""
    forms = _whole_forms(note)
    if _excludes_any(forms):
        return forms
    split = [words for form in forms if 1 < len(words := form.split()) <= MAX_PART_WORDS]
    for length in range(max(map(len, split), default=1) - 1, 0, -1):
        # each run as written or in the singular ("sicilian lemons": lemon)
        parts = [one for words in split for part in _parts(words, length)
                 for one in ([o for o in singular_forms(part)[1:] if is_note(o)]
                             or [part] * is_note(part))]
        # a note before a family word: "oud wood" is oud, not every woody material; "white
        # musk" has only the family word
        for kept in ([p for p in parts if not is_family_word(p)], parts):
            if kept and _excludes_any(tuple(kept)):
                return tuple(dict.fromkeys(kept))
    return ()


@lru_cache(maxsize=4096)
def _excludes_any(forms: tuple[str, ...]) -> bool:
    """Whether any of `forms` excludes a shipped material (a walk over the catalogue: asked
    again for every result that names the note, so remembered)."""
    return any(_excludes(form, material) for material in _shipped() for form in forms)


@cache
def _shipped() -> tuple[Material, ...]:
    return tuple(m for m in load_materials() if not m.forbidden)


def exclusion_notes(brief: Brief) -> list[str]:
    """What a result should tell of an excluded note that names no material as written:
    which of its words it was read as, or that it leaves nothing out."""
    lines = []
    for note in brief.notes_exclude:
        forms = exclusion_forms(note)
        if not forms:
            lines.append(f"notes_exclude {note!r} names no note or material known here: "
                         "it leaves nothing out")
        elif not set(forms) & set(_whole_forms(note)):
            read = " and ".join(map(repr, forms))
            lines.append(f"notes_exclude {note!r} names no material as written: read as "
                         f"{read}, every such material is left out")
        elif not _excludes_any((normalise_term(note),)):  # "vanila", "roses", "바닐라"
            read = next(form for form in forms if _excludes_any((form,)))
            lines.append(f"notes_exclude {note!r} read as {read!r}")
    return lines


# each odour family's group of notes in `ml.notes.GROUPS`
_FAMILY_GROUPS = {"citrus": "citrus", "floral": "flowers", "fruity": "fruits",
                  "woody": "woods", "spicy": "spices", "gourmand": "gourmand notes",
                  "musky": "musks", "green": "green notes", "herbal": "herbs",
                  "balsamic": "resins", "aquatic": "marine notes", "smoky": "smoke",
                  "leather": "leathers"}


def _excludes(form: str, material: Material) -> bool:
    if material.smells_of(form):
        return True
    if _carries(material, form):  # "allergic to eugenol": clove oil carries it
        return True
    if ODOUR_FAMILY_WORDS.get(form) == material.odor_family:
        return True
    return any(material.match_rank(key) is not None for key in _group_keys(form))


def _carries(material: Material, form: str) -> bool:
    """Whether a natural material carries the substance as a constituent: excluding
    eugenol (an allergen) left clove leaf oil in, 0.46 % eugenol on the label."""
    return any(high > 0 and normalise_term(name) == form
               for name, (_, high) in material.constituents.items())


@lru_cache(maxsize=1024)
def _group_keys(form: str) -> tuple[str, ...]:
    """The normalised notes of the group a note names ("citrus", "white flowers"), or of
    the group of the odour family it names ("floral": flowers), or the first note known to
    stand for it ("sugar": cotton candy; "campfire": birch tar); () for any other note."""
    group = GROUPS.get(form) or CHARACTER_GROUPS.get(form) or \
        GROUPS.get(_FAMILY_GROUPS.get(ODOUR_FAMILY_WORDS.get(form, ""), ""), ())
    known = KNOWN_NOTES.get(form, ())[:1]  # its first stand-in: the rest may be common notes
    return tuple(dict.fromkeys(normalise_term(note) for note in (*group, *known)))


def accord_materials(brief: Brief, candidates: Sequence[Material]) -> list[Material]:
    """The materials of the brief's sub-family accord (`profiles.ACCORD`): of each group,
    the first that is a candidate (not excluded by the brief, with room under the limits);
    none for a group the brief leaves no material of."""
    by_id = {material.id: material for material in candidates}
    chosen: list[Material] = []
    for group in profiles.ACCORD.get(brief.subfamily or "", ()):
        found = next((by_id[material_id] for material_id in group if material_id in by_id),
                     None)
        if found is not None and found not in chosen:
            chosen.append(found)
    return chosen


def required_materials(brief: Brief, candidates: Sequence[Material],
                       usable: Sequence[Material] = ()) -> list[Material]:
    """For each requested note, the candidate that best stands for it (`stand_in`); none
    for a note the brief itself excludes (`excluded_by`), nor for one that names a `usable`
    material that is not a candidate (excluded by the brief, or without room): a part of
    its name is no stand-in for it ("super" of "Iso E Super" when "amber" excludes it).
    Then the same for the notes the mood names (`Brief.mood_notes`), where a candidate
    stands for the whole note."""
    chosen: list[Material] = []
    asked = [(note, False) for note in brief.notes_include]
    for note, from_mood in asked + [(note, True) for note in brief.mood_notes]:
        if excluded_by(note, brief) is not None:
            continue
        found = stand_in(note, candidates)
        if found is None or found.material in chosen:
            continue
        if from_mood and not (found.whole or found.known):
            continue  # a mood's note: only a material named or known for it as a whole
        if _named_elsewhere(note, found, usable) is None:
            chosen.append(found.material)
    return chosen


def _named_elsewhere(note: str, found: StandIn | None,
                     materials: Sequence[Material]) -> StandIn | None:
    """The material among `materials` that the note names as a whole, when `found` (what
    stands for it among fewer materials) is only a part match or nothing; else None."""
    if found is not None and (found.whole or found.known):
        return None
    named = stand_in(note, materials, whole_only=True)
    return None if named is None or (found and named.material is found.material) else named


@dataclass(frozen=True)
class StandIn:
    material: Material
    key: str  # the form of the note that matched
    whole: bool  # the whole note (as written, or its English words), not a part of it
    known: bool = False  # a note known to stand for it ("jasmine" for "white flowers")


def stand_in(note: str, candidates: Sequence[Material],
             whole_only: bool = False) -> StandIn | None:
    """The candidate that best stands for a requested note, or None. The note is looked up
    as written, then (Korean) by its English words, then by the notes known to stand for it
    (`ml.recipe.vocabulary.known_stand_ins`: "white flowers" -> jasmine, tuberose ...;
    "wood smoke" -> birch tar, guaiacol, cade), then by ever shorter runs of its words, so
    a note people really type finds its material: "white musk" -> a musk, "turkish rose"
    -> rose, "바닐라" -> vanilla. A run of generic words ("oil") never stands for a note,
    and a word naming a whole odour family ("green" of "green tea", "wood" of "oud wood")
    only after the other words of its length. Among the forms of one group the best match
    wins: a material's name before a word of its name before its descriptors
    (`Material.match_rank`), then the form's order, then the catalogue's order; among
    known notes, which are listed best first, the form's order comes first. With
    `whole_only`, only the note as a whole (its forms) is looked up."""
    for kind, keys in _note_keys(note):
        if whole_only and kind != "whole":
            break
        ranked = [(*_order(kind, rank, position), index, key)
                  for position, key in enumerate(keys)
                  for index, material in enumerate(candidates)
                  if (rank := material.match_rank(key)) is not None]
        if ranked:
            _, _, index, key = min(ranked)
            return StandIn(candidates[index], key, whole=kind == "whole", known=kind == "known")
    return None


def _order(kind: str, rank: int, position: int) -> tuple[int, int]:
    return (position, rank) if kind == "known" else (rank, position)


# a note of more words than this is looked up whole only (its parts grow as words squared)
MAX_PART_WORDS = 6
# `JOINING_WORDS` never stand for a note on their own, nor begin or end a part of one (nor
# does any single letter: the "e" of "Iso E Super")


@lru_cache(maxsize=4096)
def _note_keys(note: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The normalised forms to look a note up by, in groups tried in order, each with its
    kind: "whole" (the note, its English words, its other names), "known" (the notes known
    to stand for it), "part" (runs of the words of every form, longest first; within a
    length, the runs that are notes in the order of their first word ("vanilla bean":
    "vanilla" before "bean"; "bourbon vanilla": "vanilla" before "bourbon"), then those
    that are odour-family words, the last word first ("wood smoke": "smoke"; "warm amber":
    "amber", not the myrrh described "warm"), then the others ("sandle wood", read "sandal
    wood": "sandal" of the second form before "wood" of the first))."""
    forms = _whole_forms(note)
    groups: list[tuple[str, tuple[str, ...]]] = [("whole", (form,)) for form in forms]
    groups += [("known", known) for form in forms if (known := known_stand_ins(form))]
    split = [words for form in forms if len(words := form.split()) <= MAX_PART_WORDS]
    for length in range(max(map(len, split), default=1) - 1, 0, -1):
        parts = [part for words in split for part in _parts(words, length)]
        # a note before a family word before any other word of some material's name or
        # description: "bourbon vanilla" is vanilla, not the Bourbon of "Geranium oil
        # (Bourbon / Egypt)"; "warm amber" amber, not the myrrh described warm
        groups.append(("part", tuple(p for p in parts if is_note(p) and not is_family_word(p))))
        groups.append(("part", tuple(p for p in reversed(parts) if is_family_word(p))))
        groups.append(("part", tuple(p for p in parts if not is_note(p))))
    return tuple((kind, tuple(dict.fromkeys(keys))) for kind, keys in groups if keys)


def _parts(words: Sequence[str], length: int) -> list[str]:
    """The runs of `length` of the words that may stand for a note, in order: none that
    begins or ends with a joining word, nor one of generic words or plant parts only."""
    parts = [" ".join(words[start:start + length]) for start in range(len(words) - length + 1)
             if _bounds_part(words[start]) and _bounds_part(words[start + length - 1])]
    return [part for part in parts if not is_generic(part) and not is_plant_part(part)]


def _bounds_part(word: str) -> bool:
    return len(word) > 1 and word not in JOINING_WORDS


def excluded_by(note: str, brief: Brief) -> str | None:
    """The excluded note that also excludes a requested one, or None: the same note by any
    of its names, the note's head word ("rose" excludes "rose oil", "musk" "white musk"),
    or a group or family holding it ("citrus" excludes "bergamot")."""
    forms = set(_whole_forms(note))
    forms |= {head for form in list(forms) if (head := _head_word(form))}
    for exclusion in brief.notes_exclude:
        for form in exclusion_forms(exclusion):
            if form in forms or forms & set(_group_keys(form)):
                return exclusion
    return None


def _head_word(form: str) -> str | None:
    """The last word of a note that is not a generic word: what the note is ("rose oil":
    rose; "white musk": musk)."""
    words = [w for w in form.split() if not is_generic(w) and w not in JOINING_WORDS]
    return words[-1] if words else None


@lru_cache(maxsize=4096)
def _whole_forms(note: str) -> tuple[str, ...]:
    """The note normalised, its English words normalised when it is Korean, its two words
    written as one ("cedar wood": cedarwood), each of these as it is misspelt (`respelled`:
    "vanila" is vanilla, "sandle wood" sandalwood), the singular of each that is a note
    ("peonies": peony), and then the other names of the same
    note (`ml.notes.SYNONYMS`: "lily of the valley" is "muguet", "agarwood" is "oud")."""
    forms = [normalise_term(note)]
    if (english := english_form(note)) != forms[0]:  # Korean, Japanese, Russian...
        forms.append(english)
    if (read := respelled(forms[-1])) is not None:  # "vanila": vanilla
        forms.append(read)
    if len(words := forms[0].split()) == 2:  # "cedar wood", "lemon grass", "sandle wood"
        forms.append(joined := "".join(words))
        if not is_note(forms[0]) and read is None and (read := respelled(joined)) is not None:
            forms.append(read)
    # "peonies": peony, "irises": iris, "white roses": white rose (a singular that is a note)
    forms += [one for form in list(forms) for one in singular_forms(form)[1:] if is_note(one)]
    forms += [normalise_term(other) for form in forms for other in _other_names(form)]
    return tuple(dict.fromkeys(form for form in forms if form))


def _other_names(form: str) -> tuple[str, ...]:
    return next((names for names in SYNONYMS if form in names), ())


def unmet_notes(brief: Brief, formula_materials: Sequence[Material],
                candidates: Sequence[Material],
                prohibited: Sequence[Material] = ()) -> list[str]:
    """What a result should tell about the brief's requested notes: one line per note that
    is not in the formula as asked (the brief excludes it, none matched, its material is
    excluded by the brief, prohibited or could not be placed, or a stand-in was used)."""
    lines = []
    asked = [(note, "requested note") for note in brief.notes_include]
    for note, label in asked + [(note, "the mood's note") for note in brief.mood_notes]:
        what = f"{label} {note!r}"
        exclusion = excluded_by(note, brief)
        if exclusion is not None:
            lines.append(f"{what} is not in the formula: it is excluded "
                         f"by notes_exclude ({exclusion!r})")
            continue
        if (read := respelled(note)) is not None and stand_in(read, candidates) is not None:
            lines.append(f"{what} read as {read!r}")
        found = stand_in(note, formula_materials)
        named = _named_elsewhere(note, found, candidates)
        if named is not None:  # its own material is not in: no part of its name stands for it
            lines.append(f"{what} is not in the formula: " + _why_absent(named, brief))
        elif found is None:
            near = stand_in(note, candidates)
            banned = stand_in(note, prohibited, whole_only=True) if near is None else None
            lines.append(f"{what} is not in the formula: " + (
                _why_prohibited(banned.material) if banned is not None
                else "no usable material stands for it" if near is None
                else _why_absent(near, brief)))
        elif found.known:
            lines.append(f"{what}: no material of that name; "
                         f"{found.material.name} stands for it (as {found.key!r})")
        elif not found.whole:
            lines.append(f"{what}: no material of that name; "
                         f"{found.material.name} stands for {found.key!r}")
    return lines


def _why_prohibited(material: Material) -> str:
    """Why a material the note names is never used ("lilial": banned in the EU)."""
    who = " and ".join(part for part, applies in (
        ("prohibited by IFRA", material.ifra is not None and material.ifra.prohibited),
        ("banned in the EU", material.eu_banned)) if applies)
    return f"{material.name} is {who}; no usable material stands for it"


def _why_absent(near: StandIn, brief: Brief) -> str:
    if (note := excluding_note(near.material, brief)) is not None:
        return (f"{near.material.name} (for {near.key!r}) is excluded by notes_exclude "
                f"({note!r})")
    if (limit := limit_against(near.material, brief.material_limits,
                               _labelled_by_its_row)) is not None:
        return (f"{near.material.name} (for {near.key!r}) is left out by the mood's "
                f"{limit.replace('_', ' ')} limit")
    top = near.material.typical_use_pct[1] if near.material.typical_use_pct else 0.0
    if top > 0.0 and use_cap(near.material) < STEP:  # geosmin: used at parts per million
        return (f"{near.material.name} (for {near.key!r}) is used at {top:g} % of a "
                f"concentrate at most, under the {STEP:g} % a formula writes (perfumers "
                "dose it as a dilution)")
    return f"{near.material.name} (for {near.key!r}) could not be placed"


# the % of a concentrate from materials outside the brief's profile that earns a note
OFF_PROFILE_NOTE_PCT = 100.0 / 3


def excluded_family_notes(brief: Brief, usable: Sequence[Material]) -> list[str]:
    """What a result should tell about a brief that contradicts itself: ``notes_exclude``
    removes every usable material of an odour family that defines the brief's family
    ("floral" excluded from a floral brief). The formula is then made of the family's
    other notes, which the client would otherwise not be told."""
    defining = _defining_families(brief)
    gone = [family for family in defining
            if (members := [m for m in usable if m.odor_family == family])
            and all(excluded(m, brief) for m in members)]  # fmt: skip
    if not gone:
        return []
    label = family_label(brief.fragrance_family)
    if len(gone) == len(defining):
        return [f"the family {label} is excluded by notes_exclude: no {' or '.join(gone)} "
                "material may be used, so a formula holds only the family's other notes"]
    return [f"notes_exclude removes the {' and '.join(gone)} materials of the family {label}"]


def off_profile_notes(brief: Brief, lines: Sequence[tuple[Material, float]]) -> list[str]:
    """When ``notes_exclude`` leaves so few materials of the brief's families that a large
    part of the concentrate (``OFF_PROFILE_NOTE_PCT``) comes from materials outside them,
    say so rather than pass it off as the family asked for. ``lines``: each material of the
    formula with its % of the concentrate."""
    if not brief.notes_exclude:
        return []
    weights = _profile(brief)
    outside = [(m, pct) for m, pct in lines if weights.get(m.odor_family, 0.0) <= 0.0]
    share = math.fsum(pct for _, pct in outside)
    if share < OFF_PROFILE_NOTE_PCT:
        return []
    families = ", ".join(sorted({m.odor_family or "unclassified" for m, _ in outside}))
    return [f"notes_exclude leaves few materials of the family "
            f"{family_label(brief.fragrance_family)}: {share:.0f} % of the concentrate "
            f"comes from materials outside it ({families})"]


# a brief's core families (`core_families`) under this share of a formula's odour earn a
# note: a green formula 20 % green and 60 % floral by odour was described as green
CORE_NOTE_SHARE = 1 / 3
CORE_RATIO = 2 / 3  # a family weighing this much of its profile's top is core


def core_families(brief: Brief) -> frozenset[str]:
    """The odour families weighing at least `CORE_RATIO` of the top of the brief's family
    profile and of its sub-family's (amber: amber, balsamic, spicy; green: green)."""
    families: set[str] = set()
    for profile in (profiles.FAMILY[brief.fragrance_family],
                    profiles.SUBFAMILY.get(brief.subfamily or "", {})):  # fmt: skip
        top = max(profile.values(), default=0.0)
        families.update(f for f, w in profile.items() if w >= CORE_RATIO * top)
    return frozenset(families)


def odour_shares(lines: Sequence[tuple[Material, float]]) -> dict[str, float]:
    """Odour family -> its share (0..1) of a formula's odour, each material counted by its
    % of the concentrate over the middle of its typical use range: galbanum at 1.5 % counts
    as much as hedione at 20 %, each at its usual level (by weight, a green formula was
    2.5 % green)."""
    weights: dict[str, float] = {}
    for material, pct in lines:
        low, high = material.typical_use_pct or (0.5, 10.0)
        family = material.odor_family or "unclassified"
        weights[family] = weights.get(family, 0.0) + pct / max((low + high) / 2, 1e-6)
    total = math.fsum(weights.values()) or 1.0
    return {family: weight / total for family, weight in weights.items()}


def faint_core_notes(brief: Brief, lines: Sequence[tuple[Material, float]]) -> list[str]:
    """When the brief's core families make under `CORE_NOTE_SHARE` of the formula's odour
    (their few materials, held to their typical use levels), say so and what makes the
    rest, rather than pass it off as the family asked for. The families of the notes the
    brief asks for count as its own (saffron makes a woody amber spicy on purpose)."""
    asked = required_materials(brief, [material for material, _ in lines])
    core = core_families(brief) | {m.odor_family for m in asked if m.odor_family}
    shares = odour_shares(lines)
    held = math.fsum(shares.get(family, 0.0) for family in core)
    if held >= CORE_NOTE_SHARE:
        return []
    others = sorted((f for f in shares if f not in core), key=lambda f: -shares[f])[:3]
    return [f"the {family_label(brief.fragrance_family)} family's own materials "
            f"({', '.join(sorted(core))}) make {held:.0%} of this formula's odour, held to "
            f"their typical use levels; the rest is mostly "
            f"{', '.join(f'{f} {shares[f]:.0%}' for f in others)}"]


def _defining_families(brief: Brief) -> list[str]:
    """The odour families weighted highest in the brief's family and sub-family profiles
    (floral: floral; woody amber: woody and amber; a gourmand brief adds gourmand)."""
    families: list[str] = []
    for profile in (profiles.FAMILY[brief.fragrance_family],
                    profiles.SUBFAMILY.get(brief.subfamily or "", {})):  # fmt: skip
        top = max(profile.values(), default=0.0)
        families += [f for f, w in profile.items() if w == top and f not in families]
    return families


def sample(
    candidates: Sequence[Material], required: Sequence[Material], scores: Mapping[str, float],
    rng: random.Random, core: frozenset[str] = frozenset(),
) -> list[Pick]:
    """The required materials (`required_materials`) plus a weighted sample of the other
    candidates without replacement per position, of which at least `CORE_PICKS` from the
    brief's `core` families where the position has them: sampled by preference alone, a
    green brief's heart was florals (68 of the catalogue's materials, against 5 green
    ones of the heart)."""
    picks = [Pick(m, scores[m.id], required=True) for m in required]
    for position in POSITIONS:
        pool = [m for m in candidates if m.note_position == position and m not in required]
        have = sum(1 for p in picks if p.material.note_position == position)
        want = max(0, rng.randint(*COUNTS[position]) - have)
        keyed = sorted(pool, key=lambda m: (-_key(rng.random(), scores[m.id]), m.id))
        ours = [m for m in keyed if m.odor_family in core][:math.ceil(want * CORE_PICKS)]
        rest = [m for m in keyed if m not in ours][:want - len(ours)]
        picks += [Pick(m, scores[m.id]) for m in ours + rest]
    return picks[:MAX_MATERIALS]


def _key(u: float, weight: float) -> float:
    """Efraimidis-Spirakis key: sorting by u ** (1 / w) samples proportionally to w."""
    return math.log(max(u, 1e-300)) / (weight**2)
