"""Perfume and brand names in queries: exact spans, fuzzy resolution, editions.

Names are compared as `ml.tokens.name_tokens` (accents folded, `N°5` = `No 5` = `no5`).
`spans` finds every catalogue name written out in a query; `resolve` finds the perfume a
phrase most likely means ("YSL Black Opium", "blck opium", "Oud Wood by Tom Ford"), with
one typo per long word allowed. Editions are the same perfume in another concentration or
strength: same brand, same name once trailing words like "Eau de Parfum", "Intense",
"Elixir" or "Le Parfum" are dropped (`Sauvage` and `Sauvage Elixir` are editions;
`Sauvage` and `Eau Sauvage` are not).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher, get_close_matches

from ml.edit_distance import MIN_LENGTH, nearest
from ml.knowledge import Perfume
from ml.tokens import name_tokens

BRAND_ALIASES: dict[str, tuple[str, ...]] = {
    "Yves Saint Laurent": ("ysl", "saint laurent"), "Dior": ("christian dior",),
    "Dolce & Gabbana": ("d&g", "dolce gabbana", "dolce and gabbana"),
    "Maison Francis Kurkdjian": ("mfk", "francis kurkdjian", "kurkdjian"),
    "Jo Malone London": ("jo malone",), "Maison Margiela": ("margiela", "replica"),
    "Kilian": ("by kilian", "kilian paris"), "Parfums de Marly": ("pdm", "marly"),
    "Comme des Garçons": ("cdg",), "Frédéric Malle": ("malle", "editions de parfums"),
    "Giorgio Armani": ("armani",), "Jean Paul Gaultier": ("jpg", "gaultier"),
    "Viktor&Rolf": ("viktor rolf", "viktor and rolf"), "Calvin Klein": ("ck",),
    "Rabanne": ("paco rabanne",), "Estée Lauder": ("lauder",), "Bvlgari": ("bulgari",),
    "Penhaligon's": ("penhaligons", "penhaligon"), "Etat Libre d'Orange": ("etat libre",),
    "L'Artisan Parfumeur": ("l artisan", "artisan parfumeur"), "Mugler": ("thierry mugler",),
    "Issey Miyake": ("issey",), "Hugo Boss": ("boss",), "Narciso Rodriguez": ("narciso",),
    "Tom Ford": ("tf",),
}
# what the fragrance community calls some perfumes ("BR540", "ADG", "BDC")
PERFUME_ALIASES: dict[str, tuple[str, ...]] = {
    "maison-francis-kurkdjian-baccarat-rouge-540-2015": ("br540", "br 540"),
    # the original, which people mean by the line's name (Profumo and Profondo are flankers)
    "armani-acqua-di-gio-pour-homme-1996": ("adg", "acqua di gio"),
    "chanel-bleu-de-chanel-eau-de-toilette-2010": ("bdc",),
    "lancome-la-vie-est-belle-2012": ("lveb", "lvb"),
    "calvin-klein-ck-one-1994": ("ck1", "ck 1"),
    "creed-silver-mountain-water-1995": ("smw",),
    "creed-green-irish-tweed-1985": ("git",),
    # "Chanel 5", "Chanel number 5": the brand's N°5 (it was Chance, by a typo's distance)
    "chanel-no5-parfum-1921": ("chanel 5", "chanel number 5", "number 5"),
}
EDITION_WORDS: tuple[tuple[str, ...], ...] = (
    ("eau", "de", "parfum"), ("eau", "de", "toilette"), ("eau", "de", "cologne"),
    ("extrait", "de", "parfum"), ("le", "parfum"), ("parfum",), ("extrait",), ("intense",),
    ("elixir",), ("absolu",), ("absolue",), ("edp",), ("edt",), ("edc",), ("concentree",),
    ("extreme",))
# the words that join a name to its brand at its end ("Bleu de Chanel", "Twilly d'Hermès")
BRAND_LINKS = frozenset(("de", "d", "by"))
NAME_FILLERS = frozenset(("the", "a", "an", "by", "from", "perfume", "fragrance", "scent",
                          "of", "s", "original", "edition"))
# words a name may be made of alone that every query may say ("Tom Ford for Men" without
# its brand is "for men"): such a name counts only with its brand ("like Aventus for men"
# was Tom Ford for Men, its "for men" explaining more of the query than "aventus")
GENERIC_NAME_WORDS = frozenset(("for", "men", "man", "women", "woman", "him", "her", "pour",
                                "homme", "femme", "eau", "de", "parfum", "toilette",
                                "cologne", "intense", "extrait"))
FUZZY_RATIO = 0.8
# a word typed alone, with no brand before it, is read as a name word only from this length
# ("sauvge" is Sauvage; shorter words have too many neighbours)
NAME_TYPO_LENGTH = 6
# words after "smells like" that name no perfume are most often a description ("rain on
# concrete"): a name is suggested only when it is this alike, a likely misspelling
SIMILE_SUGGESTION_RATIO = 0.8


def line_of(perfume: Perfume) -> tuple[str, ...]:
    """The name without trailing edition words or a year: the line its editions share."""
    tokens = name_tokens(perfume.name)
    stripped = True
    while stripped and len(tokens) > 1:
        stripped = tokens[-1].isdigit() and len(tokens[-1]) == 4
        tokens = tokens[:-1] if stripped else tokens
        for words in EDITION_WORDS:
            if len(tokens) > len(words) and tuple(tokens[-len(words):]) == words:
                tokens, stripped = tokens[:-len(words)], True
    return tuple(tokens)


# A digit of a name as people also write it ("1 Million" is "one million")
DIGIT_WORDS = dict(zip("123456789", ("one", "two", "three", "four", "five", "six", "seven",
                                     "eight", "nine"), strict=True))


def _variants(perfume: Perfume) -> set[tuple[str, ...]]:
    """The ways a perfume is written: its name and its line, with or without the brand
    in front ("Dior Homme" is also "Homme" after "Dior"), with a digit spelled out ("one
    million"), with an elided article joined to its word as people type it without the
    apostrophe ("J'adore" is "jadore"), and its community names (`PERFUME_ALIASES`:
    "BR540")."""
    brand = tuple(name_tokens(perfume.brand))
    variants = {tuple(name_tokens(perfume.name)), line_of(perfume)}
    for variant in list(variants):
        if variant[:len(brand)] == brand and variant[len(brand):] not in (*EDITION_WORDS, ()):
            variants.add(variant[len(brand):])  # not "eau de parfum" of Chloé Eau de Parfum
        if (len(variant) > len(brand) + 1 and variant[-len(brand):] == brand
                and variant[-len(brand) - 1] in BRAND_LINKS):
            variants.add(brand + variant[:-len(brand) - 1])  # "Bleu de Chanel": "chanel bleu"
    aliases = {tuple(name_tokens(alias)) for alias in PERFUME_ALIASES.get(perfume.id, ())}
    spelled = {tuple(w for t in v for w in _spelled(t, number))  # "one million", "no five"
               for v in variants for number in ("no", "number")}
    return (variants | spelled | {_elided(variant) for variant in variants} | aliases
            | {_glued(variant) for variant in variants})


def _spelled(token: str, number: str) -> tuple[str, ...]:
    """A token with its digit spelled out: "1" is "one", "no5" (N°5) `number` "five"."""
    if token in DIGIT_WORDS:
        return (DIGIT_WORDS[token],)
    if token[:2] == "no" and token[2:] in DIGIT_WORDS:
        return (number, DIGIT_WORDS[token[2:]])
    return (token,)


def _glued(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """Each number joined to the word before it, as people type it: "santal33", "baie19"."""
    glued: list[str] = []
    for token in tokens:
        if glued and token.isdigit() and glued[-1].isalpha():
            glued[-1] += token
        else:
            glued.append(token)
    return tuple(glued)


def _elided(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """Each single letter (the `j` of `j'adore`, the `l` of `l'eau`) joined to the next."""
    joined: list[str] = []
    for k, token in enumerate(tokens):
        if joined and len(tokens[k - 1]) == 1 and tokens[k - 1].isalpha():
            joined[-1] += token
        else:
            joined.append(token)
    return tuple(joined)


@dataclass(frozen=True)
class NameSpan:
    """Query tokens [start, end) that name these perfumes (or, with no ids, a brand)."""

    start: int
    end: int
    ids: tuple[str, ...]
    brand: str | None = None


@dataclass
class NameIndex:
    perfumes: dict[str, Perfume]
    names: dict[str, set[tuple[str, ...]]] = field(default_factory=dict)
    brands: dict[tuple[str, ...], str] = field(default_factory=dict)
    lines: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    _by_first: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)
    _by_token: dict[str, set[str]] = field(default_factory=dict)
    _long_tokens: dict[str, list[str]] = field(default_factory=dict)
    _brand_words: dict[str, set[str]] = field(default_factory=dict)
    _name_and_brand_words: frozenset[str] = frozenset()
    _by_brand: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, perfumes: Iterable[Perfume]) -> NameIndex:
        index = cls({p.id: p for p in perfumes})
        for perfume in index.perfumes.values():
            brand = tuple(name_tokens(perfume.brand))
            index.brands[brand] = perfume.brand
            for alias in BRAND_ALIASES.get(perfume.brand, ()):
                index.brands[tuple(name_tokens(alias))] = perfume.brand
            index.names[perfume.id] = _variants(perfume)
            index.lines[perfume.id] = (perfume.brand, line_of(perfume))
            index._by_brand.setdefault(perfume.brand, []).append(perfume.id)
            index._brand_words.setdefault(perfume.brand, set()).update(
                token for variant in index.names[perfume.id] for token in variant
                if token not in brand and len(token) >= MIN_LENGTH and token.isalpha())
            for variant in index.names[perfume.id]:
                index._by_first.setdefault(variant[0], []).append((variant, perfume.id))
                for token in variant:
                    index._by_token.setdefault(token, set()).add(perfume.id)
        for token in sorted(t for t in index._by_token if len(t) >= 4):
            index._long_tokens.setdefault(token[0], []).append(token)
        index._name_and_brand_words = frozenset(
            word for word in index.words() if len(word) >= NAME_TYPO_LENGTH - 1
            and word.isalpha())
        return index

    def words(self) -> frozenset[str]:
        """Every word of a perfume's or brand's name (and brand aliases)."""
        return frozenset(self._by_token) | frozenset(w for brand in self.brands for w in brand)

    def _spellings(self, word: str) -> set[str]:
        """The name words `word` may stand for: itself, and close ones if long (a typo after
        the first letter: `opim`, `blck`), even when it is a name word itself: `aqua` is
        in Aqua Allegoria and a typo of the `acqua` of Acqua di Giò."""
        if len(word) < 4:
            return {word}
        close = get_close_matches(word, self._long_tokens.get(word[0], []), n=3,
                                  cutoff=FUZZY_RATIO)
        # not a number glued to the word ("rose" is no typo of "rose31", Le Labo's Rose 31:
        # "i love rose" was that perfume)
        return {word, *(c for c in close if not (c.startswith(word) and c[len(word):].isdigit()))}

    def editions(self, perfume_id: str) -> frozenset[str]:
        """The perfume and every edition of it (see the module doc)."""
        line = self.lines[perfume_id]
        return frozenset(i for i, other in self.lines.items() if other == line)

    def line_members(self, perfume_id: str) -> frozenset[str]:
        """The perfume's editions and flankers: same brand, a line that begins with its
        line or with one of its community names (`N°5` -> `N°5 L'Eau`, `Light Blue` ->
        `Light Blue pour Homme`, "acqua di gio" -> Acqua di Giò pour Femme)."""
        brand, line = self.lines[perfume_id]
        heads = {line, *(tuple(name_tokens(alias))  # "acqua di gio": the line's name too
                         for alias in PERFUME_ALIASES.get(perfume_id, ()))}
        return frozenset(i for i, (b, other) in self.lines.items()
                         if b == brand and any(other[:len(head)] == head for head in heads))

    def misspelt_after_brands(self, tokens: Sequence[str],
                              meaningful: frozenset[str]) -> dict[int, str]:
        """The words right after a brand written out that are a typo of a word of that
        brand's perfume names, by position: "creed aventis" is Aventus, "dior savage"
        Sauvage. A word of any perfume's name, or one with a meaning of its own
        (`meaningful`: notes, moods ...), is as typed; so is one near two name words."""
        fixes: dict[int, str] = {}
        for span in self.brand_spans(tokens):
            name_words = self._brand_words.get(span.brand or "", set())
            for at in range(span.end, min(span.end + 5, len(tokens))):
                word = tokens[at]
                if (len(word) < MIN_LENGTH or not word.isalpha() or word in self._by_token
                        or word in meaningful):
                    continue
                closest = nearest(word, (w for w in name_words if w[0] == word[0]))
                if len(closest) == 1:
                    fixes[at] = closest[0]
        return fixes

    def name_word_near(self, word: str) -> str | None:
        """The one word of a perfume's or brand's name `word` is a typo of ("bacarat":
        baccarat, "sauvge": sauvage), or None: none, or two as near."""
        if len(word) < NAME_TYPO_LENGTH or not word.isalpha():
            return None
        closest = nearest(word, (w for w in self._name_and_brand_words if w[0] == word[0]))
        return closest[0] if len(closest) == 1 else None

    def branded_prefix_spans(self, tokens: Sequence[str],
                             meaningful: frozenset[str]) -> list[NameSpan]:
        """A brand and the first words of a perfume of it ("byredo gypsy": Gypsy Water,
        "jo malone wood sage": Wood Sage & Sea Salt), as brand + words; at most four
        perfumes, and one word only when it means nothing else ("jo malone wood" is a woody
        Jo Malone)."""
        found: list[NameSpan] = []
        for span in self.brand_spans(tokens):
            brand = tuple(name_tokens(span.brand or ""))
            variants = [(pid, variant) for pid in self._by_brand.get(span.brand or "", ())
                        for variant in self.names[pid] if variant[:len(brand)] != brand]
            for size in range(min(4, len(tokens) - span.end), 0, -1):
                words = tuple(tokens[span.end:span.end + size])
                if size == 1 and (words[0] in meaningful or len(words[0]) < 3):
                    continue
                if any(variant == words for _, variant in variants):
                    break  # a name written out whole ("creed aventus"): `spans` has it
                ids = sorted({pid for pid, variant in variants if variant[:size] == words})
                if 0 < len(ids) <= 4:
                    found.append(NameSpan(span.start, span.end + size, tuple(ids)))
                    break
        return found

    def brand_spans(self, tokens: Sequence[str]) -> list[NameSpan]:
        """Every brand (or alias) written out in `tokens`, longest first at each place."""
        found = []
        for start in range(len(tokens)):
            for size in range(min(4, len(tokens) - start), 0, -1):
                brand = self.brands.get(tuple(tokens[start:start + size]))
                if brand:
                    found.append(NameSpan(start, start + size, (), brand))
                    break
        return found

    def spans(self, tokens: Sequence[str]) -> list[NameSpan]:
        """Every perfume name written out in full in `tokens` and not inside a brand's
        name; at one place the longest name wins, and a brand written in the query picks
        among same-named perfumes."""
        brands = self.brand_spans(tokens)
        mentioned = {span.brand for span in brands}
        found: list[NameSpan] = []
        for start, token in enumerate(tokens):
            matches = [(len(words), pid) for words, pid in self._by_first.get(token, ())
                       if tuple(tokens[start:start + len(words)]) == words
                       and not any(b.start <= start and start + len(words) <= b.end
                                   for b in brands)]
            if not matches:
                continue
            size = max(length for length, _ in matches)
            ids = sorted({pid for length, pid in matches if length == size})
            branded = [pid for pid in ids if self.perfumes[pid].brand in mentioned]
            found.append(NameSpan(start, start + size, tuple(branded or ids)))
        return found

    def _score(self, perfume_id: str, spelled: Sequence[tuple[str, set[str]]],
               brand: NameSpan | None) -> float:
        """Best over the perfume's variants: share of the name found among the words heard
        (`spelled`: each query word and the name words it may stand for; 1 needs every
        word), plus how much of the query the name and brand explain (each word once), plus
        the brand, less a little for each name word matched only as a typo (so an exact
        spelling wins a tie)."""
        same_brand = brand is not None and self.perfumes[perfume_id].brand == brand.brand
        written = {word for word, _ in spelled}
        heard = set().union(*(spellings_ for _, spellings_ in spelled))
        best = 0.0
        for variant in self.names[perfume_id]:
            name = [part for part in variant if part not in NAME_FILLERS] or list(variant)
            if not same_brand and GENERIC_NAME_WORDS.issuperset(name):
                continue
            matched = sum(part in heard for part in name)
            coverage = matched / len(name)
            if coverage < 0.6 or (coverage < 1 and not same_brand and matched < 2):
                continue
            parts = set(name)
            used = sum(bool(parts.intersection(spellings_)) or (
                same_brand and brand is not None and brand.start <= k < brand.end)
                for k, (_, spellings_) in enumerate(spelled))  # fmt: skip
            typos = sum(part in heard and part not in written for part in name)
            best = max(best, coverage + 0.5 * min(used / len(spelled), 1.0)
                       + 0.2 * same_brand - 0.01 * len(name) - 0.05 * typos)
        return best

    def resolve(self, words: Sequence[str]) -> str | None:
        """The perfume a short phrase (name tokens) means, or None when nothing is close:
        every word of the name must be there (a typo allowed), or most of it with the
        brand; ties go to the shorter name, then the earlier year."""
        words = [word for word in words if word not in NAME_FILLERS]
        if not words:
            return None
        spans = self.brand_spans(words)
        brand = spans[0] if spans else None
        spelled = [(word, self._spellings(word)) for word in words]
        heard = set().union(*(spellings_ for _, spellings_ in spelled))
        candidates = set().union(*(self._by_token.get(token, set()) for token in heard))
        scored = [(self._score(pid, spelled, brand), pid) for pid in candidates]
        best = max((score for score, _ in scored), default=0.0)
        if best <= 0:
            return None
        tied = [pid for score, pid in scored if score >= best - 1e-9]
        return min(tied, key=lambda pid: (self.perfumes[pid].year or 9999, pid))

    def suggestions(self, words: Sequence[str], limit: int = 3,
                    at_least: float = 0.0) -> list[str]:
        """Names closest to an unresolved phrase (for the message), best first; only those
        at least `at_least` alike (difflib's ratio of the two spellings)."""
        phrase = " ".join(w for w in words if w not in NAME_FILLERS)
        alike = ((SequenceMatcher(None, phrase, " ".join(name_tokens(p.name))).ratio(), p)
                 for p in self.perfumes.values())  # fmt: skip
        ranked = sorted(((ratio, p) for ratio, p in alike if ratio >= at_least),
                        key=lambda pair: -pair[0])
        return [f"{p.name} ({p.brand})" for _, p in ranked[:limit]]
