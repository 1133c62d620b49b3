"""Query parsing: every wish a query states, in English or in (translated) Korean.

A query becomes *units* (`ml.query_units`): perfume names, brands, and phrases of
`ml.phrases` (notes, characters, moods, seasons, genders, occasions, intensity, markers);
other words stay words.

Negation scope. A marker applies to the list of things it points at: English markers look
forward ("without tonka", "no oud or incense", "hold the musk", "anything but citrus"),
"free" and the Korean markers look back ("tonka-free", "장미 빼고"). A list goes on over
"and", "or" and commas, but a comma only continues it when an "and" / "or" closes it
("no oud, incense or leather"; in "without tonka, vanilla for women" only tonka is out).
A negation reaches over what qualifies a note, and over "perfume containing", "that has",
to the note ("no heavy spices", "no synthetic musk", "nothing that has oud").
A negated note, note group, character, gender or perfume is excluded (hard); a negated mood,
season or intensity, and anything after "too" / "overly" ("not too sweet"), or "less", is
only avoided (a soft preference); a mood both wished for and avoided is only avoided ("sweet
gourmand but not too sweet": a gourmand, not a sweet one). Words a negation points at that
are no query vocabulary ("sweet but not synthetic") are dropped: never embedded as a wish.

Descriptions. A group word that describes a smell ("laundry", `ml.notes.DESCRIPTIONS`) asks
for any of its notes ("aldehydes or cotton or white musk").

Likeness. "like X", "similar to X", "dupe for X", "X 같은" ... name a reference perfume: the
name next to the marker, else the words up to the next clause boundary resolved fuzzily.
Words after a strong marker ("similar to", "dupe for") that resolve to nothing are reported
as an unknown reference; after a plain "like", only unknown words with no query vocabulary
among them are ("something like a fresh summer day" is a simile, not a reference); after
"smells like" none are: what follows describes a smell ("smells like clean laundry"), and
only when none of it is query vocabulary does the parse keep it as a `simile`, so the
result can say no perfume has that name. "dupe", "clone" and "alternative" may follow the
perfume ("Chanel No 5 dupe": the words before count when those after name no perfume), and
so do "but cheaper" and "X but less / more Y" ("Santal 33 but less sweet" is "like Santal
33 but less sweet").

Typos. Words the parser would drop are first read as the vocabulary word they misspell
(`ml.spelling`); the parse lists the corrections.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ml.names import NAME_FILLERS, SIMILE_SUGGESTION_RATIO, NameIndex
from ml.notes import DESCRIPTION_SEASONS, DESCRIPTIONS, NoteTaxonomy
from ml.phrases import PhraseTable, query_tokens
from ml.query_units import COMMON_NAME_WORDS, Unit, UnitReader, is_filler
from ml.query_words import (
    ACHES,
    AMOUNT_ONLY_CURRENCIES,
    BACK_LIKES,
    COMMON_QUERY_WORDS,
    COMPARATIVES,
    PRICE_LEADS,
    PRICE_TAILS,
    SCOPE_FILLERS,
    SMELL_LIKES,
    STRONG_LIKES,
    TRAILING_LIKES,
    TRAILING_NO,
    UNEMBEDDED_INTENSITIES,
    written_concentrations,
)
from ml.spelling import Correction, SpellingCorrector
from ml.tokens import STOPWORDS

# a mood compared ("but fresher") is preferred among the reference's neighbours; a family
# ("but more fruity", "but woodier") stays a wish, ranked by likeness to the reference
COMPARED = frozenset(("mood",))
COPULAS = frozenset(("is", "are", "was", "were", "s", "just", "really", "simply"))
ELEMENTS = frozenset(("note", "group", "character", "mood", "gender", "name", "intensity",
                      "season", "occasion"))
MARKERS = frozenset(("neg", "softneg", "soft", "like", "negback", "softback", "likeback",
                     "comma", "price"))
BOUNDARIES = frozenset(("but", "for", "with", "in", "that", "which", "under", "over", "to",
                        "and", "or"))
# The characters an eau de cologne may have: beside any other ("a woody cologne for men",
# "an amber cologne"), "cologne" is the everyday word for a perfume, as in American shops,
# not the citrus-aromatic eau de cologne (Jo Malone's colognes came first for "masculine woody
# cologne", 1 of 5 hits meeting the query).
COLOGNE_CHARACTERS = frozenset(("cologne", "citrus", "aromatic", "fougere", "green", "aquatic"))
# What an eau de cologne, light and brisk, is not: with one of these wishes "cologne" is the
# everyday word as well ("date night cologne" listed Jo Malone's floral colognes, "sexy
# cologne" citrus ones meeting 1 of 5 hits).
NOT_A_COLOGNE: dict[str, frozenset[str]] = {
    "moods": frozenset(("sensual", "cozy", "warm", "dark", "mysterious", "sweet", "bold")),
    "occasions": frozenset(("date", "evening", "party")),
    "seasons": frozenset(("autumn", "winter")),
}
EDITION_WORDS = frozenset(("edition", "editions", "flanker", "flankers"))
# verbs after a gender word that make it the perfume's admirers ("women love", "men go");
# never embedded ("I love vanilla" ranked Creed's Love in White first)
ADMIRING_VERBS = frozenset(("love", "loves", "loved", "like", "likes", "adore", "adores",
                            "go", "notice", "compliment", "compliments", "find", "want",
                            "wants", "swoon", "crave", "enjoy", "enjoys"))
ADMIRED_BY = frozenset(("from", "by"))  # "compliments from women", "loved by men"
# words between a negation and what it negates ("no perfume containing musk", "nothing that
# has oud", "no perfumes with patchouli": "with" is a scope filler)
NEGATED_LEADS = frozenset(("containing", "contains", "contain", "having", "has", "have",
                           "perfume", "perfumes", "fragrance", "fragrances", "one",
                           "ones", "anything", "something"))


@dataclass(frozen=True)
class Reference:
    """The perfume a "like X" query names: `id` None when nothing in the catalogue is X."""

    text: str
    id: str | None
    suggestions: tuple[str, ...] = ()
    # a "smells like" followed by plain English words ("a hug", "a rainy library"): a
    # description, never a misspelt name ("a hug" was "Did you mean: Hugo?")
    described: bool = False


@dataclass(frozen=True)
class QueryParse:
    """What a query asks for. `notes` holds one tuple per stated note (any of the tuple
    meets it: "rose or peony"); `named` the named perfumes' lines (editions and flankers:
    "Aventus" names Aventus for Her too), `named_exactly` the editions of the perfumes the
    query writes out in full (Aventus only); `avoid` holds soft (kind, value) preferences;
    `simile` the unknown words after "smells like", searched as a description rather than
    as a name;
    `corrections` (typed, read) pairs for misspelt words; `unsearched_words` the words read
    as an occasion or a gender, which stay in `text` (they are embedded) but are no lexical
    terms: no perfume is described by its occasions, and as a bare word "date" is a fruit
    note; a gender is a constraint already, and its word matched the perfumes named after it
    ("perfume for a 16 year old girl" ranked Poison Girl and Good Girl Gone Bad first);
    `price` the price wishes as typed ("under 50 dollars", "cheap"), which the catalogue
    cannot meet (it has no prices): out of `text`, reported as ignored."""

    notes: tuple[tuple[str, ...], ...] = ()
    characters: tuple[str, ...] = ()
    moods: tuple[str, ...] = ()
    occasions: tuple[str, ...] = ()
    genders: tuple[str, ...] = ()
    seasons: tuple[str, ...] = ()
    intensity: str | None = None
    brands: tuple[str, ...] = ()
    named: tuple[str, ...] = ()
    named_exactly: tuple[str, ...] = ()
    excluded_notes: tuple[str, ...] = ()
    excluded_characters: tuple[str, ...] = ()
    excluded_genders: tuple[str, ...] = ()
    excluded_perfumes: tuple[str, ...] = ()
    avoid: tuple[tuple[str, str], ...] = ()
    prefer: tuple[tuple[str, str], ...] = ()  # "like X but fresher": raised, not required
    reference: Reference | None = None
    simile: Reference | None = None
    include_editions: bool = False
    text: str = ""
    corrections: tuple[tuple[str, str], ...] = ()
    unsearched_words: tuple[str, ...] = ()
    price: tuple[str, ...] = ()
    # intensities that pull apart ("long lasting but not too strong", "light but long
    # lasting"): each asked or avoided one, "not <x>" for an avoided; neither is then
    # required or avoided (it was the last one said: strong, and strong avoided as well)
    intensity_clash: tuple[str, ...] = ()


@dataclass
class _Roles:
    """Which units a marker consumed: hard-negated, soft-negated, or naming a reference."""

    negated: set[int] = field(default_factory=set)
    soft: set[int] = field(default_factory=set)
    reference: set[int] = field(default_factory=set)
    price: set[int] = field(default_factory=set)
    unknown: set[int] = field(default_factory=set)
    admirers: set[int] = field(default_factory=set)
    preferred: set[int] = field(default_factory=set)
    found: Reference | None = None
    simile: Reference | None = None


def _chain(units: Sequence[Unit], first: int, step: int) -> tuple[list[int], list[str]]:
    """Element units joined by conjunctions or commas, from `first` in direction `step`."""
    scope: list[int] = []
    separators: list[str] = []
    j = first
    while 0 <= j < len(units) and units[j].kind in ELEMENTS:
        scope.append(j)
        k = j + step
        if not (0 <= k < len(units) and units[k].kind in ("conj", "comma")):
            break
        separator, k = units[k].value, k + step
        while 0 <= k < len(units) and ((is_filler(units[k]) and units[k].value != "more") or (
                separator in ("or", "nor") and units[k].value == "anything")):
            k += step  # "no oud or anything smoky": smoky is refused too
        # "less sweet and more fresh": "more" after a conjunction begins another wish
        if not (0 <= k < len(units) and units[k].kind in ELEMENTS):
            break
        separators.append(separator)
        j = k
    return scope, separators


def _forward_scope(units: Sequence[Unit], marker: int) -> tuple[list[int], bool, list[int]]:
    """The units a forward negation applies to, whether a softener came first, and the
    words it passes over to reach them ("no perfume containing synthetic musk": "perfume",
    "containing", "synthetic"; dropped, never embedded as a wish).
    A negation reaches over what qualifies a note to the note itself: "no heavy spices",
    "without strong spices", "nothing with fake vanilla" exclude the spices and the vanilla
    (the qualifier, when it is query vocabulary, is negated too: "heavy" avoided); not
    after a softener ("not too sweet vanilla" wishes for vanilla)."""
    j, soft = marker + 1, units[marker].kind == "softneg"
    leads: list[int] = []
    while j < len(units) and (units[j].kind == "soft" or is_filler(units[j])
                              or units[j].value in NEGATED_LEADS or _negated_like(units, j)
                              or _for_element(units, j)):
        # "that" softens ("not that sweet") unless a lead follows ("nothing that has oud")
        softens = units[j].kind == "soft" and not (
            units[j].value == "that" and j + 1 < len(units)
            and units[j + 1].value in NEGATED_LEADS)
        # "not for the office": "for" and its article go with the office
        if units[j].value in NEGATED_LEADS or _for_element(units, j) or (
                leads and units[leads[-1]].value == "for" and is_filler(units[j])):
            leads.append(j)
        soft, j = soft or softens, j + 1
    noun = j
    while noun < len(units) and _qualifier(units[noun]):
        noun += 1
    qualifiers: list[int] = []
    # after a softener the quality is what is avoided: "not too sweet vanilla" is vanilla
    if not soft and j < noun < len(units) and units[noun].kind in ("note", "group"):
        qualifiers, j = list(range(j, noun)), noun
    scope, separators = _chain(units, j, 1)
    if "," in separators or ";" in separators:
        first = next(i for i, s in enumerate(separators) if s in (",", ";"))
        if not any(s not in (",", ";") for s in separators[first:]):
            scope = scope[:first + 1]
    passed = [q for q in qualifiers if units[q].kind not in ELEMENTS]
    return ([q for q in qualifiers if units[q].kind in ELEMENTS] + scope, soft,
            leads + passed if scope else [])


def _for_element(units: Sequence[Unit], j: int) -> bool:
    """A "for" the negation passes over to what it is for ("not for the office", "not for
    men"): the word goes with the negated element, never embedded as a wish."""
    if units[j].value != "for":
        return False
    k = j + 1
    while k < len(units) and is_filler(units[k]):
        k += 1
    return k < len(units) and units[k].kind in ELEMENTS


def _negated_like(units: Sequence[Unit], j: int) -> bool:
    """A "like" marker after a negation ("doesn't smell like an old lady", "nothing like
    Sauvage", "nothing that smells like my grandpa"): what it points at is negated, not a
    reference."""
    k = j - 1
    while k >= 0 and (is_filler(units[k]) or units[k].value in NEGATED_LEADS
                      or units[k].value == "that"):
        k -= 1
    return units[j].kind == "like" and k >= 0 and units[k].kind in ("neg", "softneg")


def _qualifier(unit: Unit) -> bool:
    """A unit that may qualify the note after it: an intensity, mood or character ("heavy",
    "sweet", "spicy") or a plain word that is no clause word ("fake", "synthetic")."""
    return unit.kind in ("intensity", "mood", "character") or (
        unit.kind == "word" and not is_filler(unit) and unit.value not in BOUNDARIES
        and unit.value not in STOPWORDS and not unit.value.isdigit())


def _admirers(units: Sequence[Unit]) -> set[int]:
    """The gender words that say who admires the perfume, not whom it is for, with their
    verb: "a masculine scent that women love", "compliments from women", "men go crazy
    for" (the verb follows the gender, or "from" or "by" comes before it; "a perfume that
    men can wear" is for men).
    A wish for the admirers' gender would rank perfumes for them first."""
    found: set[int] = set()
    for i, unit in enumerate(units):
        if unit.kind != "gender":
            continue
        after = units[i + 1].value if i + 1 < len(units) else ""
        before = units[i - 1].value if i > 0 else ""
        if after in ADMIRING_VERBS:  # with the gender words just before ("masculine men")
            first = i
            while first > 0 and units[first - 1].kind == "gender":
                first -= 1
            found.update(range(first, i + 2))
        elif before in ADMIRED_BY and i > 1:
            found.add(i)
    return found


def _like_span(units: Sequence[Unit], marker: int, step: int) -> list[int]:
    """The units a "like" marker points at in direction `step`: up to the next marker,
    conjunction or clause word ("like Rose Noir but for men": Rose Noir), in query order."""
    span: list[int] = []
    j = marker + step
    while 0 <= j < len(units) and not (units[j].kind in MARKERS or (
            units[j].kind == "word" and units[j].value in BOUNDARIES and span) or (
            units[j].kind == "conj" and span)):
        if units[j].kind != "conj":
            span.append(j)
        j += step
    return sorted(span)


def _unknown_negated(units: Sequence[Unit], marker: int) -> list[int]:
    """The words a forward negation points at when none of them is query vocabulary ("but
    not synthetic"): the run of plain words up to a clause word, never embedded as a wish."""
    j = marker + 1
    while j < len(units) and (units[j].kind == "soft" or is_filler(units[j])):
        j += 1
    found: list[int] = []
    while j < len(units) and units[j].kind == "word" and not is_filler(units[j]) and (
            units[j].value not in BOUNDARIES and units[j].value not in STOPWORDS
            and not units[j].value.isdigit()):
        found.append(j)
        j += 1
    return found


def _backward_scope(units: Sequence[Unit], marker: int) -> list[int]:
    """The units a backward negation applies to, over the word for perfume ("장미 향수 말고":
    no rose perfume)."""
    j = marker - 1
    while j >= 0 and (is_filler(units[j]) or units[j].value in NEGATED_LEADS
                      or units[j].value in COPULAS):  # "patchouli is not my cup of tea"
        j -= 1
    return _chain(units, j, -1)[0]


class QueryParser:
    """Parses query tokens (`ml.phrases.query_tokens`) against one catalogue's names and
    notes. Never raises; a query with nothing recognisable parses to an empty parse."""

    def __init__(self, phrases: PhraseTable, names: NameIndex, taxonomy: NoteTaxonomy,
                 known_words: Iterable[str] = ()) -> None:
        self._reader = UnitReader(phrases, names)
        self._names, self._taxonomy = names, taxonomy
        self._words = frozenset(known_words)
        self._meaningful = phrases.words | COMMON_QUERY_WORDS | STOPWORDS
        self._speller = SpellingCorrector(phrases, (
            *known_words, *names.words(), *NAME_FILLERS, *SCOPE_FILLERS, *BOUNDARIES,
            *STOPWORDS, *COMMON_NAME_WORDS, *COMMON_QUERY_WORDS), plain=COMMON_QUERY_WORDS)

    def parse(self, text: str, untranslated: Sequence[str] = ()) -> QueryParse:
        tokens, corrections = self._speller.tokens(query_tokens(text))
        tokens, corrections = self._name_typos(tokens, corrections)
        units = self._reader.read(tokens)
        roles = self._markers(units, tokens, untranslated)
        parse = self._assemble(units, tokens, roles)
        return replace(parse, corrections=tuple((c.typed, c.read) for c in corrections))

    def _name_typos(self, tokens: list[str], corrections: tuple[Correction, ...]
                    ) -> tuple[list[str], tuple[Correction, ...]]:
        """A perfume's or brand's name misspelt: after its brand ("creed aventis" is Aventus),
        or alone when the word means nothing as typed ("bacarat rouge")."""
        words = [i for i, token in enumerate(tokens) if token.isalnum()]
        fixes = self._names.misspelt_after_brands([tokens[i] for i in words],
                                                  self._meaningful)
        corrected = {c.read for c in corrections}
        for at, i in enumerate(words):  # "bacarat rouge", "sauvge": a name word, no brand
            if at not in fixes and tokens[i] not in corrected and not self._speller.is_known(
                    tokens[i]) and (near := self._names.name_word_near(tokens[i])):
                fixes[at] = near
        for at, read in sorted(fixes.items()):
            corrections += (Correction(tokens[words[at]], read),)
            tokens[words[at]] = read
        return tokens, corrections

    # ---- markers ---------------------------------------------------------------------
    def _markers(self, units: Sequence[Unit], tokens: Sequence[str],
                 untranslated: Sequence[str]) -> _Roles:
        roles = _Roles(price=_price_units(units), admirers=_admirers(units))
        for i, unit in enumerate(units):
            if unit.kind in ("neg", "softneg"):
                scope, soft, passed = _forward_scope(units, i)
                # "lavender yes, tonka no"; not "tuberose no indole", which refused
                # tuberose (indole, no note here, is what it refuses)
                if not scope and unit.value in TRAILING_NO and (
                        i + 1 == len(units) or units[i + 1].kind in ("comma", "conj")
                        or not units[i + 1].value.isalnum()):
                    scope = _backward_scope(units, i)
                (roles.soft if soft else roles.negated).update(scope)
                roles.unknown.update(passed)
                if not scope:
                    roles.unknown.update(_unknown_negated(units, i))
            elif unit.kind in ("negback", "softback"):
                scope = _backward_scope(units, i)
                (roles.soft if unit.kind == "softback" else roles.negated).update(scope)
            elif unit.kind == "intensity" and ACHES.intersection(tokens[unit.start:unit.end]):
                # "vanilla gives me a headache": vanilla is refused, a strong one avoided
                roles.negated.update((i, *_backward_scope(units, i)))
            elif unit.kind in ("like", "likeback") and roles.found is None and not (
                    _negated_like(units, i)):
                self._reference(units, tokens, i, roles, untranslated)
        if roles.found is None:
            self._compared(units, tokens, roles)
        if roles.found is not None and roles.found.id:
            roles.preferred = _comparisons(units, tokens)
        roles.admirers.update(_averse_people(units, tokens))  # the haters, not the wearers
        roles.negated -= roles.reference
        roles.soft |= _outweighed_moods(units, roles)
        return roles

    def _resolve(self, units: Sequence[Unit], tokens: Sequence[str],
                 span: Sequence[int]) -> str | None:
        """The perfume the span's words name (fuzzily), else its one written-out name."""
        words = _words(units, tokens, span)
        found = self._names.resolve(words) if words else None
        named = [units[k] for k in span if units[k].kind == "name"]
        if found is None and len(named) == 1 and len(named[0].ids) == 1:
            found = named[0].ids[0]
        return found

    def _reference(self, units: Sequence[Unit], tokens: Sequence[str], marker: int,
                   roles: _Roles, untranslated: Sequence[str]) -> None:
        step = 1 if units[marker].kind == "like" else -1
        span = _like_span(units, marker, step)
        if step > 0 and units[marker].value in TRAILING_LIKES and (
                self._resolve(units, tokens, span) is None and not _unknown(units, span)):
            before = _like_span(units, marker, -1)
            if self._resolve(units, tokens, before) or (not span and _unknown(units, before)):
                span, step = before, -1
        if span and all(units[k].kind == "brand" for k in span):
            # "like chanel", "dupe for chanel": the brand is the wish, as in "like dior" (it
            # was a reference to Chance, a letter from "chanel")
            return
        found = self._resolve(units, tokens, span)
        words = _words(units, tokens, span)
        unknown = _unknown(units, span)
        text = " ".join(words) or " ".join(untranslated)
        if found:
            roles.found, roles.reference = Reference(text, found), set(span)
        elif units[marker].value in SMELL_LIKES or (
                units[marker].value not in STRONG_LIKES and self._described(units, unknown)):
            if unknown:
                described = self._described(units, unknown)
                roles.simile = Reference(text, None, () if described else tuple(
                    self._names.suggestions(words, at_least=SIMILE_SUGGESTION_RATIO)),
                    described=described)
        elif text and (units[marker].value in STRONG_LIKES or unknown or (
                step < 0 and untranslated and not span)):
            suggestions = tuple(self._names.suggestions(words)) if words else ()
            roles.found, roles.reference = Reference(text, None, suggestions), set(span)

    def _described(self, units: Sequence[Unit], unknown: Sequence[int]) -> bool:
        """Whether the unknown words after a plain "like" describe a thing rather than name
        a perfume: all of them English words ("something like a library", "like walking in
        a garden", "정원 같은 향"). They were read as an unknown perfume's name: no hits,
        and "Did you mean: Lira, Libre, Shalimar?"."""
        return bool(unknown) and all(units[k].value in self._words for k in unknown)

    def _compared(self, units: Sequence[Unit], tokens: Sequence[str], roles: _Roles) -> None:
        """A perfume compared with "but less" / "but more" ("Santal 33 but less sweet") or
        after "than" ("something sweeter than Libre", "less sweet than Libre") is the
        reference; the comparison is read as ever (avoided, or wished for)."""
        for i in range(1, len(units) - 1):
            if units[i].value == "than" and (units[i - 1].kind in ELEMENTS
                                             or tokens[units[i - 1].start] in COMPARATIVES):
                span = _like_span(units, i, 1)
                if i in roles.price:  # "less than 100 euros" is a price
                    continue
                if self._resolve(units, tokens, span) is None and (
                        unknown := _unknown(units, span)) and not self._described(units,
                                                                                 unknown):
                    # "fresher than zorblax": no perfume is called so; it was searched as
                    # words, with no message (as "like zorblax" has)
                    words = _words(units, tokens, span)
                    roles.found = Reference(" ".join(words), None,
                                            tuple(self._names.suggestions(words)))
                    roles.reference = {*span, i}
                    return
            elif units[i].value == "but" and (
                    tokens[units[i + 1].start] in COMPARATIVES
                    # "Sauvage but for women": Sauvage's neighbours for women (it listed
                    # the three men's Sauvages first)
                    or units[i + 1].kind == "gender" or (
                        tokens[units[i + 1].start] == "for" and i + 2 < len(units)
                        and units[i + 2].kind == "gender")):
                span = _like_span(units, i, -1)
            else:
                continue
            found = self._resolve(units, tokens, span)
            if found and any(units[k].kind == "name" for k in span):
                roles.found = Reference(" ".join(_words(units, tokens, span)), found)
                roles.reference = {*span, i}  # "but" joins, it wishes nothing
                return

    # ---- assembly --------------------------------------------------------------------
    def _assemble(self, units: Sequence[Unit], tokens: Sequence[str],
                  roles: _Roles) -> QueryParse:
        wish = _Wishes()
        for i, unit in enumerate(units):
            if i in roles.reference or i in roles.price or i in roles.admirers:
                continue
            if i in roles.negated:
                self._exclude(unit, wish)
            elif i in roles.soft and unit.kind in ELEMENTS:
                wish.avoid.append((unit.kind, unit.value))
            elif i in roles.preferred:
                wish.prefer.append((unit.kind, unit.value))
            else:
                self._include(units, i, wish)
        # "woody cologne": the word for a perfume, in American shops a man's; then neither
        # embedded nor a BM25 term ("cologne for a night out" ranked Eau Sauvage first)
        everyday_cologne = "cologne" in wish.characters and _cologne_is_a_perfume(wish)
        if everyday_cologne:
            wish.characters.remove("cologne")
            if not wish.genders and not wish.excluded_genders:
                wish.genders.append("masculine")
        kept = _joined([i for i, u in enumerate(units) if not (
            i in roles.negated or i in roles.soft or i in roles.reference or i in roles.price
            or i in roles.unknown or i in roles.admirers or u.kind in MARKERS
            or u.kind == "conj" or (u.kind == "word" and u.value in ADMIRING_VERBS)
            or (u.kind == "intensity"
                and " ".join(tokens[u.start:u.end]) in UNEMBEDDED_INTENSITIES)
            or (everyday_cologne and u.kind == "character" and u.value == "cologne"))],
            units, tokens)
        named_brands = {self._names.perfumes[i].brand for i in wish.named}
        if roles.found and roles.found.id:
            named_brands.add(self._names.perfumes[roles.found.id].brand)
        avoided = [value for kind, value in wish.avoid if kind == "intensity"]
        clash = (len(set(wish.intensities)) > 1 or bool(set(avoided) & set(wish.intensities)))
        return QueryParse(
            intensity_clash=_unique([*wish.intensities, *(f"not {v}" for v in avoided)])
            if clash else (),
            notes=_unique(tuple(group) for group in wish.notes),  # "rose rose rose": one
            characters=_unique(wish.characters), moods=_unique(wish.moods),
            occasions=_unique(wish.occasions), genders=_unique(wish.genders),
            seasons=_unique(wish.seasons), intensity=None if clash else wish.intensity,
            brands=_unique(b for b in wish.brands if b not in named_brands),
            named=_unique(wish.named),
            named_exactly=self._by_concentration(_unique(wish.named_exactly), tokens),
            excluded_notes=_unique(wish.excluded_notes),
            excluded_characters=_unique(wish.excluded_characters),
            excluded_genders=_unique(wish.excluded_genders),
            excluded_perfumes=_unique(wish.excluded_perfumes),
            avoid=_unique(a for a in wish.avoid if not (clash and a[0] == "intensity")),
            prefer=_unique(wish.prefer),
            reference=roles.found, simile=roles.simile, text=" ".join(kept),
            include_editions=any(t in EDITION_WORDS for t in kept),
            unsearched_words=_unique(t for u in units if u.kind in ("occasion", "gender")
                                   for t in tokens[u.start:u.end]),
            price=_price_phrases(units, tokens, roles.price))

    def _by_concentration(self, ids: tuple[str, ...], tokens: Sequence[str]) -> tuple[str, ...]:
        """The editions of the concentration the query writes ("br540 extrait", "bleu de
        chanel edt") first, the rest in order."""
        wanted = written_concentrations(tokens)
        if not wanted:
            return ids
        return tuple(sorted(ids, key=lambda i: self._names.perfumes[i].concentration
                            not in wanted))

    def _editions(self, ids: Sequence[str]) -> list[str]:
        return sorted({e for i in ids for e in self._names.editions(i)})

    def _exclude(self, unit: Unit, wish: _Wishes) -> None:
        if unit.kind == "note":
            wish.excluded_notes.append(self._taxonomy.canonical(unit.value))
        elif unit.kind == "group":
            wish.excluded_notes.append(unit.value)
        elif unit.kind == "character":
            wish.excluded_characters.append(unit.value)
        elif unit.kind == "gender":
            wish.excluded_genders.append(unit.value)
        elif unit.kind == "name":
            wish.excluded_perfumes.extend(self._editions(unit.ids))
        else:
            wish.avoid.append((unit.kind, unit.value))

    def _include(self, units: Sequence[Unit], i: int, wish: _Wishes) -> None:
        unit = units[i]
        if unit.kind in ("note", "group"):
            notes = [self._taxonomy.canonical(unit.value) if unit.kind == "note" else unit.value]
            if unit.value in DESCRIPTIONS:  # "laundry": any of its notes
                notes = sorted(self._taxonomy.expand(unit.value) - {unit.value}) or notes
                if unit.value in DESCRIPTION_SEASONS:  # "christmas": winter too
                    wish.seasons.append(DESCRIPTION_SEASONS[unit.value])
            if _follows_or(units, i, wish.last_note):
                wish.notes[-1].extend(notes)
            else:
                wish.notes.append(notes)
            wish.last_note = i
        elif unit.kind == "name":
            wish.named.extend(sorted({m for i in unit.ids for m in self._names.line_members(i)}))
            # the edition the name writes out first ("dior homme intense": Intense, then
            # Dior Homme): the first is the one a query naming it alone lists first
            wish.named_exactly.extend((*unit.ids, *self._editions(unit.ids)))
        elif unit.kind == "intensity":
            wish.intensity = unit.value
            wish.intensities.append(unit.value)
        else:
            target = {"character": wish.characters, "mood": wish.moods,
                      "occasion": wish.occasions, "gender": wish.genders,
                      "season": wish.seasons, "brand": wish.brands}.get(unit.kind)
            if target is not None:
                target.append(unit.value)


@dataclass
class _Wishes:
    notes: list[list[str]] = field(default_factory=list)
    last_note: int = -1
    characters: list[str] = field(default_factory=list)
    moods: list[str] = field(default_factory=list)
    occasions: list[str] = field(default_factory=list)
    genders: list[str] = field(default_factory=list)
    seasons: list[str] = field(default_factory=list)
    intensity: str | None = None
    intensities: list[str] = field(default_factory=list)
    brands: list[str] = field(default_factory=list)
    named: list[str] = field(default_factory=list)
    named_exactly: list[str] = field(default_factory=list)
    excluded_notes: list[str] = field(default_factory=list)
    excluded_characters: list[str] = field(default_factory=list)
    excluded_genders: list[str] = field(default_factory=list)
    excluded_perfumes: list[str] = field(default_factory=list)
    avoid: list[tuple[str, str]] = field(default_factory=list)
    prefer: list[tuple[str, str]] = field(default_factory=list)


AVERSION_VERBS = frozenset((
    "hate", "hates", "hated", "dislike", "dislikes", "detest", "detests", "loathe", "loathes",
    "can t stand", "cant stand", "cannot stand", "don t like", "dont like", "do not like",
    "allergic to", "not into"))
POSSESSIVES = frozenset(("my", "our", "his", "her", "their"))


def _averse_people(units: Sequence[Unit], tokens: Sequence[str]) -> set[int]:
    """The people a query says dislike something ("my husband hates patchouli, I want a
    floral"): who hates it, not whom the perfume is for (it was a masculine wish, and
    L'Homme À la Rose came first)."""
    return {i for i in range(1, len(units) - 1)
            if units[i].kind == "gender" and tokens[units[i].start - 1:units[i].start] and
            tokens[units[i].start - 1] in POSSESSIVES and units[i + 1].kind == "neg"
            and units[i + 1].value in AVERSION_VERBS}


def _comparisons(units: Sequence[Unit], tokens: Sequence[str]) -> set[int]:
    """The moods and characters a query compares its reference by ("like Black Opium but
    fresher", "Aventus but more woody"): what the reference's neighbours should have more
    of, not a requirement (as one, "fresher" ranked fresh perfumes that share nothing with
    Black Opium first)."""
    return {i for i, unit in enumerate(units) if unit.kind in COMPARED and (
        tokens[unit.start] in COMPARATIVES or (i > 0 and units[i - 1].value == "more"))}


def _cologne_is_a_perfume(wish: _Wishes) -> bool:
    """Whether "cologne" among `wish`'s characters means a perfume, not an eau de cologne:
    the query wishes something an eau de cologne is not."""
    return (not set(wish.characters) <= COLOGNE_CHARACTERS or wish.intensity == "strong"
            or any(not NOT_A_COLOGNE[element].isdisjoint(getattr(wish, element))
                   for element in NOT_A_COLOGNE))


def _follows_or(units: Sequence[Unit], i: int, last_note: int) -> bool:
    """Whether note unit `i` is the alternative of the note unit just before ("X or Y")."""
    k = i - 1
    while k >= 0 and is_filler(units[k]):
        k -= 1
    if k < 0 or units[k].kind != "conj" or units[k].value not in ("or", "/"):
        return False
    k -= 1
    while k >= 0 and is_filler(units[k]):
        k -= 1
    return k == last_note


def _price_units(units: Sequence[Unit]) -> set[int]:
    """The units that state a price: price words ("cheap", "dollars"), the amount and the
    comparison before a currency ("under 50 dollars"), a cap after it ("50 euros max"),
    and "but cheaper" after a perfume."""
    found: set[int] = set()
    for i, unit in enumerate(units):
        if unit.kind == "likeback" and unit.value in BACK_LIKES:
            found.add(i)
        amount = i > 0 and units[i - 1].value.isdigit()
        if unit.kind != "price" or (unit.value in AMOUNT_ONLY_CURRENCIES and not amount):
            continue
        start, end = i, i + 1
        if amount:
            start, end = start - 1, _price_tail(units, end)
            while start > 0 and units[start - 1].value in PRICE_LEADS:
                start -= 1
        found.update(range(start, end))
    return found


def _price_tail(units: Sequence[Unit], end: int) -> int:
    """Where an amount's cap ("max", "or less") ends, from `end` on."""
    for size in (2, 1):
        words = " ".join(u.value for u in units[end:end + size])
        if len(units[end:end + size]) == size and words in PRICE_TAILS:
            return end + size
    return end


def _price_phrases(units: Sequence[Unit], tokens: Sequence[str],
                   price: set[int]) -> tuple[str, ...]:
    """The price units as phrases of the query's words, one per run of adjacent units."""
    phrases: list[list[str]] = []
    for i in sorted(price):
        words = [t for t in tokens[units[i].start:units[i].end] if t.isalnum()]
        if phrases and i - 1 in price:
            phrases[-1] += words
        else:
            phrases.append(words)
    return tuple(" ".join(words) for words in phrases)


def _outweighed_moods(units: Sequence[Unit], roles: _Roles) -> set[int]:
    """The mood wishes that the query also avoids ("sweet gourmand but not too sweet"): the
    avoid wins, the wish was only the setting of the "but"."""
    avoided = {units[i].value for i in roles.soft | roles.negated if units[i].kind == "mood"}
    return {i for i, unit in enumerate(units) if unit.kind == "mood" and unit.value in avoided
            and i not in roles.negated and i not in roles.reference}


def _words(units: Sequence[Unit], tokens: Sequence[str], span: Sequence[int]) -> list[str]:
    return [t for k in span for t in tokens[units[k].start:units[k].end] if t.isalnum()]


def _unknown(units: Sequence[Unit], span: Sequence[int]) -> list[int]:
    """The span's words that are no query vocabulary, or none when some of it is ("like a
    fresh summer day": a simile, not a perfume)."""
    if any(units[k].kind in ELEMENTS for k in span):
        return []
    return [k for k in span if units[k].kind == "word" and units[k].value not in
            NAME_FILLERS and units[k].value not in SCOPE_FILLERS]


def _joined(kept: Sequence[int], units: Sequence[Unit], tokens: Sequence[str]) -> list[str]:
    """The words of the kept units, less a "but" that joins nothing any more: one left at
    either end ("like No 5 but less powdery" kept "but"), or one with its comparative ("like
    Sauvage but more fresh" kept "but more fresh"; the wish is "fresh")."""
    def joins(at: int) -> bool:
        return (0 < at < len(kept) - 1 and units[kept[at]].value == "but"
                and units[kept[at + 1]].value not in COMPARATIVES)

    def after_but(at: int) -> bool:
        return at > 0 and units[kept[at - 1]].value == "but"

    words = [i for at, i in enumerate(kept) if not (
        (units[i].value == "but" and not joins(at))
        or (units[i].value in COMPARATIVES and after_but(at)))]
    return [t for i in words for t in _said(units[i], tokens) if t.isalnum()]


def _said(unit: Unit, tokens: Sequence[str]) -> list[str]:
    """A unit's words as the text to embed and match says them: a note by the catalogue's
    name of it ("gül", "vanille", "ваниль" -> rose, vanilla: a Turkish query embedded "gul
    kokulu parfum" and ranked Thé Vert first among the rose perfumes), else as typed."""
    typed = list(tokens[unit.start:unit.end])
    if unit.kind == "note" and unit.value and unit.value != " ".join(typed):
        return unit.value.split()
    return typed


def _unique(values: Any) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(values))
