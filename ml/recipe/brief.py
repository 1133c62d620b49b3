"""The client's brief: what formula to make.

``Brief`` normalises its inputs (family words to Fragrance Wheel slugs, concentration names to
slugs; notes keep the client's spelling and are matched case-insensitively) and raises
``ValueError`` naming the offending field when an input is unusable.

Exclusions written in the mood ("romantic but no musk please, vanilla-free", `ml.recipe.mood`)
join ``notes_exclude``; notes it names ("a cozy vanilla and tobacco evening") are held as
requested notes (``mood_notes``); the mood's other words (``mood_phrase``) describe the formula.
Fields that disagree are settled here and told (`brief_notes`): the concentration sets the
dose whatever the intensity says; a product type that names another concentration class
than the one asked for (an eau de toilette at parfum strength) is refused, and when no
concentration is asked for, the product type chooses it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from ml.material_limits import ALLERGEN_FREE, NATURAL_ONLY, VEGAN
from ml.recipe.concentration import CONCENTRATIONS, INTENSITY_DEFAULT, concentration_slug
from ml.recipe.mood import MoodReading, read_mood
from ml.recipe.profiles import FAMILY as FAMILY_PROFILES
from ml.recipe.regulation import ProductContext, category_slug, product_type_slug
from ml.recipe.vocabulary import ODOUR_FAMILY_WORDS, english_form
from ml.recipe.vocabulary import warm as warm_vocabulary

# a mood told as a story runs to a few sentences (the API's schema said 1,000 while a
# brief refused 201): read in full, described only when short (`ml.recipe.naming`)
MAX_MOOD_CHARS = 1000
MAX_MOOD_NOTES = 4  # notes named in a mood that a formula holds as requested notes
DEFINING_WEIGHT = 2.0  # an odour family weighted this much defines a wheel family

WHEEL_FAMILIES = (
    "floral", "soft_floral", "floral_amber", "soft_amber", "amber", "woody_amber",
    "woods", "mossy_woods", "dry_woods", "aromatic", "citrus", "water", "green", "fruity",
)  # fmt: skip

# Plain words (the seed guide's vocabulary, English and Korean) -> (wheel family, sub-family).
FAMILY_WORDS: dict[str, tuple[str, str | None]] = {
    "oriental": ("amber", None),
    "woody": ("woods", None),
    "wood": ("woods", None),
    "fresh": ("citrus", "cologne"),
    "gourmand": ("soft_amber", "gourmand"),
    "fougere": ("aromatic", "fougere"),
    "fougère": ("aromatic", "fougere"),
    "chypre": ("mossy_woods", "chypre"),
    "aquatic": ("water", "aquatic"),
    "marine": ("water", "aquatic"),
    "leather": ("dry_woods", "leather"),
    "musky": ("soft_floral", "musky"),
    "spicy": ("woody_amber", "spicy"),
    "floral oriental": ("floral_amber", None),
    "soft oriental": ("soft_amber", None),
    "woody oriental": ("woody_amber", None),
    # as perfume sites and shops name families ("Floral Fruity", "Amber Woody")
    "fruity floral": ("fruity", None),
    "floral fruity": ("fruity", None),
    "musk": ("soft_floral", "musky"),
    "powdery": ("soft_floral", None),
    "aldehydic": ("soft_floral", None),
    "flowery": ("floral", None),
    "amber woody": ("woody_amber", None),
    "amber floral": ("floral_amber", None),
    "amber spicy": ("woody_amber", "spicy"),
    "spicy amber": ("woody_amber", "spicy"),
    "oriental spicy": ("woody_amber", "spicy"),
    "spicy oriental": ("woody_amber", "spicy"),
    "aromatic fougere": ("aromatic", "fougere"),
    "ozonic": ("water", "aquatic"),
    "oceanic": ("water", "aquatic"),
    "플로럴": ("floral", None),
    "시트러스": ("citrus", None),
    "우디": ("woods", None),
    "오리엔탈": ("amber", None),
    "앰버": ("amber", None),
    "프레시": ("citrus", "cologne"),
    "구르망": ("soft_amber", "gourmand"),
    "푸제르": ("aromatic", "fougere"),
    "시프레": ("mossy_woods", "chypre"),
    "그린": ("green", None),
    "프루티": ("fruity", None),
    "플로럴 프루티": ("fruity", None),
    "프루티 플로럴": ("fruity", None),
    "머스크": ("soft_floral", "musky"),
    "머스키": ("soft_floral", "musky"),
    "파우더리": ("soft_floral", None),
    "아쿠아틱": ("water", "aquatic"),
    "마린": ("water", "aquatic"),
    "스파이시": ("woody_amber", "spicy"),
    "레더": ("dry_woods", "leather"),
    "아로마틱": ("aromatic", None),
    "우디 오리엔탈": ("woody_amber", None),
    # families as perfume sites label them, where the main word alone would mislead
    "oriental floral": ("floral_amber", None),
    "oriental woody": ("woody_amber", None),
    "oriental fougere": ("amber", "fougere"),
    "amber fougere": ("amber", "fougere"),
    "oriental vanilla": ("soft_amber", "gourmand"),
    "amber vanilla": ("soft_amber", "gourmand"),
    "vanilla": ("soft_amber", "gourmand"),
    "floral aldehyde": ("soft_floral", None),
    "floral aldehydic": ("soft_floral", None),
    "aldehyde": ("soft_floral", None),
    "woody chypre": ("mossy_woods", "chypre"),
    "fresh spicy": ("aromatic", "spicy"),
    # the adjectives people write for a family
    "woodsy": ("woods", None), "citrusy": ("citrus", None), "citric": ("citrus", None),
    "ambery": ("amber", None), "spiced": ("woody_amber", "spicy"), "herbal": ("aromatic", None),
    "herbaceous": ("aromatic", None), "smoky": ("dry_woods", None),
    "smokey": ("dry_woods", None), "leathery": ("dry_woods", "leather"), "rosy": ("floral", None),
    "mossy": ("mossy_woods", None), "resinous": ("amber", None), "balsamic": ("amber", None),
    # a note people name as the kind of perfume they want ("an oud", "a rose perfume"):
    # its family, and the note itself is requested (`FAMILY_NOTES`)
    "oud": ("woody_amber", None), "tobacco": ("woody_amber", None),
    "incense": ("woody_amber", None), "rose": ("floral", None), "jasmine": ("floral", None),
    "tuberose": ("floral", None), "iris": ("soft_floral", None),
    "lavender": ("aromatic", None), "sandalwood": ("woods", None), "vetiver": ("woods", None),
    "cedar": ("woods", None), "patchouli": ("mossy_woods", None),
}
# The family words that are notes too: a brief of such a family asks for the note (unless
# it excludes it), as a perfume of that name holds it
FAMILY_NOTES = {**{word: word for word in ("oud", "tobacco", "incense", "rose", "jasmine",
                                           "tuberose", "iris", "lavender", "sandalwood",
                                           "vetiver", "cedar", "patchouli", "vanilla")},
                "smoky": "smoke", "smokey": "smoke", "rosy": "rose"}
# Words that say how a family smells, not which it is: "fresh aquatic" is the water family,
# "white floral" the floral one ("fresh" alone is a citrus cologne).
FAMILY_MODIFIERS = frozenset({"fresh", "white", "soft", "warm", "sweet", "light", "bright",
                              "clean", "dark", "deep", "rich"})
MAX_FAMILY_WORDS = 4  # "floral woody musk", "floral fruity gourmand"

INTENSITIES = ("light", "moderate", "strong")
# the words people write for each (English and Korean), read as the brief's values
INTENSITY_WORDS = {
    **{word: word for word in INTENSITIES},
    **dict.fromkeys(("soft", "subtle", "mild", "delicate", "gentle", "weak", "low",
                     "sheer", "가벼운", "은은한", "약한", "가볍게", "은은하게"), "light"),
    **dict.fromkeys(("medium", "normal", "regular", "average", "mid", "balanced", "보통",
                     "중간", "적당한"), "moderate"),
    **dict.fromkeys(("intense", "heavy", "bold", "powerful", "high", "rich", "강한", "진한",
                     "강하게", "진하게"), "strong"),
}  # fmt: skip
GENDERS = {
    **dict.fromkeys(("feminine", "female", "women", "woman", "women's", "womens", "her",
                     "for her", "for women", "lady", "ladies", "여성", "여자", "여성용"),
                    "feminine"),
    **dict.fromkeys(("masculine", "male", "men", "man", "men's", "mens", "him", "for him",
                     "for men", "gentleman", "gentlemen", "남성", "남자", "남성용"),
                    "masculine"),
    **dict.fromkeys(("unisex", "shared", "neutral", "gender neutral", "gender-neutral",
                     "genderless", "everyone", "any", "all", "공용", "유니섹스", "남녀공용"),
                    "unisex"),
}  # fmt: skip
SEASONS = {"spring": "spring", "summer": "summer", "autumn": "autumn", "fall": "autumn",
           "winter": "winter", "봄": "spring", "여름": "summer", "가을": "autumn",
           "겨울": "winter",
           **dict.fromkeys(("all", "any", "", "all seasons", "all season", "all-season",
                            "year round", "year-round", "all year", "all year round",
                            "every season", "four seasons", "사계절"), None)}  # fmt: skip
LANGUAGES = ("en", "ko")
MAX_NOTES = 20
MAX_NOTE_CHARS = 60  # "lily of the valley" is 18; a note is a name, not a text
# Concentrations an intensity contradicts: a light parfum, a strong eau de cologne. A
# moderate brief (also the default when none is said) contradicts none.
INTENSITY_CLASHES = {"light": ("edp", "parfum"), "strong": ("edt", "edc", "eau_fraiche")}
# The concentrations each EU product type is made at (`ml.recipe.regulation`): an eau de
# toilette is an edt or weaker; fine fragrance covers every strength, as before.
PRODUCT_TYPE_CONCENTRATIONS = {"eau_de_toilette": ("edt", "edc", "eau_fraiche"),
                               "fine_fragrance": ("parfum", "edp", "edt", "edc",
                                                  "eau_fraiche")}  # fmt: skip


def family_slug(value: str) -> tuple[str, str | None]:
    """Map a wheel slug, a plain family word or a family as perfume sites label it ("Woody
    Spicy", "Chypre Floral", "Floral Fruity Gourmand") to ``(wheel family, sub-family or
    None)``. A label of several family words is its main family, the first (two words
    that name a family together, "floral fruity", before one; a word that only says how
    it smells, "fresh" of "fresh aquatic", is passed over), with the first sub-family a
    later word names ("spicy", "musk", "chypre", "gourmand")."""
    key = " ".join(str(value).strip().lower().replace("_", " ").replace("-", " ").split())
    known = _known_family(key)
    if known is not None:
        return known
    words = key.split()
    if 1 < len(words) <= MAX_FAMILY_WORDS and all(
            _known_family(w) is not None or w in FAMILY_MODIFIERS for w in words):
        composite = _composite_family(words)
        if composite is not None:
            return composite
    raise ValueError(
        f"fragrance_family: {value!r} is not a wheel family {WHEEL_FAMILIES}, one of "
        f"{sorted(FAMILY_WORDS)}, or a label of them (\"woody spicy\", \"chypre floral\")"
    )


def _known_family(key: str) -> tuple[str, str | None] | None:
    if key.replace(" ", "_") in WHEEL_FAMILIES:
        return key.replace(" ", "_"), None
    return FAMILY_WORDS.get(key)


def _composite_family(words: Sequence[str]) -> tuple[str, str | None] | None:
    """The main family of a label and the first sub-family a later word names; None when
    no word of it names a family ("white soft")."""
    main, rest = _known_family(" ".join(words[:2])), words[2:]
    if main is None:  # the first word naming a family ("fresh clean": fresh)
        first = next((w for w in words if w not in FAMILY_MODIFIERS), None) or \
            next((w for w in words if _known_family(w) is not None), None)
        main = None if first is None else _known_family(first)
        if first is None or main is None:
            return None
        rest = words[words.index(first) + 1:]
    family, subfamily = main
    later = (_known_family(w) for w in rest if w not in FAMILY_MODIFIERS)
    return family, subfamily or next((f[1] for f in later if f and f[1]), None)


def plain_word(value: Any) -> str:
    """A word as the brief's tables hold it: lower case, single spaces ("For  Her": "for
    her")."""
    return " ".join(str(value or "").lower().split())


def read_choice(name: str, value: Any, allowed: Mapping[str, str | None]) -> str | None:
    """The value `value` stands for in one of the brief's tables (`GENDERS`, `SEASONS`...),
    read as a plain word; ValueError naming the field and its values when it has none."""
    key = plain_word(value)
    if key not in allowed:
        values = sorted({v for v in allowed.values() if v})
        raise ValueError(f"{name}: {value!r} is not one of {values} or a word for one")
    return allowed[key]


def _notes(name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ValueError(f"{name}: expected a list of note names, got {type(value).__name__}")
    notes = tuple(" ".join(str(v).split()) for v in value)  # as written: "Iso E Super"
    if any(not n for n in notes):
        raise ValueError(f"{name}: note names must be non-empty strings")
    if any(len(n) > MAX_NOTE_CHARS for n in notes):
        raise ValueError(f"{name}: a note name may hold at most {MAX_NOTE_CHARS} characters")
    if len(notes) > MAX_NOTES:
        raise ValueError(f"{name}: at most {MAX_NOTES} notes, got {len(notes)}")
    return _distinct(notes)


def _distinct(notes: Sequence[str]) -> tuple[str, ...]:
    """The notes without repeats, compared case-insensitively; the first spelling stays."""
    seen: dict[str, str] = {}
    for note in notes:
        seen.setdefault(note.casefold(), note)
    return tuple(seen.values())


def _clash(first: Sequence[str], second: Sequence[str]) -> list[str]:
    """The notes of ``first`` that ``second`` names too (case-insensitively), sorted."""
    other = {note.casefold() for note in second}
    return sorted(note for note in first if note.casefold() in other)


@dataclass(frozen=True)
class Brief:
    """A normalised recipe brief. Construct it directly or with ``Brief.from_dict``."""

    fragrance_family: str
    mood: str = ""
    intensity: str = "moderate"
    gender: str = "unisex"
    season: str | None = None
    notes_include: tuple[str, ...] = ()
    notes_exclude: tuple[str, ...] = ()
    concentration: str | None = None
    language: str = "en"
    seed: int = 0
    subfamily: str | None = None
    product_category: str = "4"  # IFRA category; only 4 (fine fragrance) is modelled
    product_type: str | None = None  # EU product type; None: from the concentration

    def __post_init__(self) -> None:
        family, sub = family_slug(self.fragrance_family)
        family_note = FAMILY_NOTES.get(" ".join(str(self.fragrance_family).lower().split()))
        intensity = INTENSITY_WORDS.get(plain_word(self.intensity))
        if intensity is None:
            raise ValueError(f"intensity: {self.intensity!r} is not one of {INTENSITIES}")
        product_type = None if self.product_type is None else product_type_slug(
            self.product_type, self.concentration)
        if not isinstance(self.mood, str) or len(self.mood) > MAX_MOOD_CHARS:
            raise ValueError(f"mood: expected a string of at most {MAX_MOOD_CHARS} characters")
        conc = _concentration(self.concentration or _mood_concentration(self.mood, product_type),
                              intensity, product_type)
        if self.language not in LANGUAGES:
            raise ValueError(f"language: {self.language!r} is not one of {LANGUAGES}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed: expected a non-negative integer, got {self.seed!r}")
        set_ = object.__setattr__  # frozen dataclass: normalise once, here
        set_(self, "fragrance_family", family)
        set_(self, "subfamily", self.subfamily or sub)
        set_(self, "intensity", intensity)
        set_(self, "mood", " ".join(self.mood.lower().split()))
        set_(self, "gender", read_choice("gender", self.gender, GENDERS))
        set_(self, "season", read_choice("season", self.season, SEASONS))
        set_(self, "concentration", concentration_slug(conc))
        set_(self, "product_category", category_slug(self.product_category))
        set_(self, "product_type", product_type)
        set_(self, "notes_include", _notes("notes_include", self.notes_include))
        set_(self, "notes_exclude", _notes("notes_exclude", self.notes_exclude))
        clash = _clash(self.notes_include, self.notes_exclude)
        if clash:
            raise ValueError(f"notes_exclude: {clash} also in notes_include")
        said = read_mood(self.mood).excluded
        clash = _clash(self.notes_include, said)
        if clash:
            raise ValueError(f"mood: excludes {clash}, which notes_include asks for")
        set_(self, "notes_exclude", _distinct((*self.notes_exclude, *said)))
        if family_note and not _clash([family_note], self.notes_exclude):
            set_(self, "notes_include", _distinct((*self.notes_include, family_note)))

    @property
    def product_context(self) -> ProductContext:
        """The IFRA category and EU product type the formula must comply with."""
        return ProductContext(self.product_category,
                              product_type_slug(self.product_type, self.concentration))

    @property
    def mood_phrase(self) -> str:
        """The mood without its exclusions ("romantic but no musk" -> "romantic")."""
        return read_mood(self.mood).mood

    @property
    def mood_exclusions(self) -> tuple[str, ...]:
        """The notes the mood excludes (they are in ``notes_exclude`` too)."""
        return read_mood(self.mood).excluded

    @property
    def material_limits(self) -> tuple[str, ...]:
        """Which materials the mood allows (`ml.recipe.mood.MATERIAL_LIMITS`:
        "hypoallergenic" allows none that is or carries an EU-declarable allergen)."""
        return read_mood(self.mood).limits

    @property
    def mood_notes(self) -> tuple[str, ...]:
        """The notes the mood names ("a cozy vanilla and tobacco evening": vanilla,
        tobacco), at most `MAX_MOOD_NOTES`, besides those of ``notes_include``, and besides
        a word naming an odour family the brief's family is made of ("floral" in a floral
        brief). The formula holds them as requested notes where a material stands for them;
        unlike a note of ``notes_include``, one that none does is said, not refused."""
        return self.named_in_mood[:MAX_MOOD_NOTES]

    @property
    def named_in_mood(self) -> tuple[str, ...]:
        """Every note the mood names as `mood_notes` counts them, past its cap too."""
        asked = {note.casefold() for note in self.notes_include}
        defining = {family for family, weight in FAMILY_PROFILES[self.fragrance_family].items()
                    if weight >= DEFINING_WEIGHT}
        return tuple(note for note in read_mood(self.mood).named
                     if note.casefold() not in asked
                     and ODOUR_FAMILY_WORDS.get(english_form(note)) not in defining)

    @property
    def moods(self) -> tuple[str, ...]:
        """Mood words ("romantic, calm" -> ("romantic", "calm")), exclusions left out."""
        return tuple(w for w in self.mood_phrase.replace(",", " ").split() if w)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Brief:
        """Build from a JSON-like mapping; unknown keys raise ``ValueError`` naming them."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown brief field(s): {unknown}")
        if "fragrance_family" not in data:
            raise ValueError("fragrance_family: required")
        return cls(**dict(data))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["notes_include"] = list(self.notes_include)
        out["notes_exclude"] = list(self.notes_exclude)
        return out


def warm() -> None:
    """Build the tables a brief's mood is read with (the notes and materials vocabulary)
    now, at a process's start, not while its first brief waits."""
    warm_vocabulary()


def _concentration(asked: str | None, intensity: str, product_type: str | None) -> str:
    """The concentration slug: as asked, else the one the product type is made at (the
    intensity's default when the type allows it), else the intensity's default. Raises
    ``ValueError`` naming product_type when it contradicts the concentration asked for."""
    allowed = PRODUCT_TYPE_CONCENTRATIONS.get(product_type or "", tuple(CONCENTRATIONS))
    if asked is None:
        default = INTENSITY_DEFAULT[intensity]
        return default if default in allowed else allowed[0]
    slug = concentration_slug(asked)
    if slug not in allowed:
        raise ValueError(
            f"product_type: {product_type!r} contradicts concentration {slug!r} "
            f"({CONCENTRATIONS[slug].label}, {CONCENTRATIONS[slug].default_pct:g} %): "
            f"an {str(product_type).replace('_', ' ')} is made as {' or '.join(allowed)}; "
            "ask for fine_fragrance or one of those concentrations")
    return slug


def _mood_concentration(mood: str, product_type: str | None) -> str | None:
    """The concentration the mood names ("an extrait de parfum"), where the product type
    allows it: a brief without a concentration of its own is made at it."""
    said = read_mood(" ".join(mood.lower().split())).concentration
    allowed = PRODUCT_TYPE_CONCENTRATIONS.get(product_type or "", tuple(CONCENTRATIONS))
    return said[0] if said and said[0] in allowed else None


def brief_notes(brief: Brief) -> list[str]:
    """What a result should tell about how the brief was read: exclusions and notes taken
    from its mood, and fields that contradict each other with the one that won."""
    return _mood_notes(brief) + _strength_notes(brief)


def _mood_notes(brief: Brief) -> list[str]:
    reading = read_mood(brief.mood)
    lines = []
    if reading.excluded:
        phrases = " and ".join(repr(p) for p in dict.fromkeys(reading.phrases))
        lines.append(f"the mood's {phrases} read as notes_exclude: "
                     f"{', '.join(reading.excluded)}")
    if named := brief.mood_notes:
        lines.append(f"the mood names {', '.join(map(repr, named))}: held as requested notes")
    if beyond := brief.named_in_mood[MAX_MOOD_NOTES:]:  # they were left out without a word
        lines.append(f"the mood also names {', '.join(map(repr, beyond))}: a formula holds "
                     f"at most {MAX_MOOD_NOTES} of a mood's notes; ask for these in "
                     "notes_include")
    for limit, said in _limits_said(reading):
        lines.append(f"the mood's {said} read as: {LIMIT_MEANINGS[limit]}")
    stated = [*reading.amounts, *(note for note in brief.notes_include if "%" in note)]
    if stated:
        lines.append(f"the brief's amounts ({', '.join(map(repr, stated))}) are not applied: "
                     "the formula doses each material within its usual use level and the "
                     "IFRA limits")
    if reading.concentration:
        slug, phrase = reading.concentration
        made = CONCENTRATIONS[str(brief.concentration)]
        lines.append(
            f"the mood's {phrase!r} read as concentration {slug!r}: the formula is dosed at "
            f"{made.default_pct:g} %" if slug == brief.concentration else
            f"the mood's {phrase!r} asks for {CONCENTRATIONS[slug].label}; concentration "
            f"{made.slug!r} (or the product type) wins: the formula is dosed at "
            f"{made.default_pct:g} %")
    return lines


# what each of the mood's material limits does to a formula, as a result's notes say it
LIMIT_MEANINGS = {
    ALLERGEN_FREE: "no material that is or carries an allergen the EU requires on the label "
                   "(the label lists none)",
    NATURAL_ONLY: "natural materials only (essential oils, absolutes, resinoids: natural "
                  "complex substances); no molecule, natural isolates included",
    VEGAN: "no material taken from animals (beeswax, castoreum and the like); animalic notes "
           "come from synthetic molecules"}


def _limits_said(reading: MoodReading) -> list[tuple[str, str]]:
    """Each limit of the mood with the phrases that said it, quoted."""
    said: dict[str, list[str]] = {}
    for limit, phrase in reading.limit_phrases:
        said.setdefault(limit, []).append(repr(phrase))
    return [(limit, " and ".join(phrases)) for limit, phrases in said.items()]


def _strength_notes(brief: Brief) -> list[str]:
    """The intensity asks for one strength, the concentration or product type for another:
    the concentration (or the product type's) sets the dose, the intensity the pyramid."""
    concentration = str(brief.concentration)
    klass = CONCENTRATIONS[concentration]
    wanted = CONCENTRATIONS[INTENSITY_DEFAULT[brief.intensity]]
    made_as = PRODUCT_TYPE_CONCENTRATIONS.get(brief.product_type or "", ())
    if made_as and wanted.slug not in made_as:
        return [f"intensity {brief.intensity!r} asks for {wanted.label} strength, product_type "
                f"{brief.product_type!r} for {', '.join(made_as[:-1])} or {made_as[-1]}: the "
                "product type wins, "
                f"the formula is {klass.slug} dosed at {klass.default_pct:g} %"]
    if concentration in INTENSITY_CLASHES.get(brief.intensity, ()):
        return [f"intensity {brief.intensity!r} contradicts concentration {concentration!r}: "
                f"the concentration wins, the formula is dosed at {klass.default_pct:g} % "
                f"({klass.label}; a {brief.intensity} brief would be {wanted.label} at "
                f"{wanted.default_pct:g} %) and the intensity shapes only its pyramid"]
    return []
