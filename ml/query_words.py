"""The English words a query states its wishes with, and what each one asks of a perfume.

Plain data for `ml.parsing`. A *character* word names a kind of perfume: a Fragrance Wheel
family (Michael Edwards' family names; "oriental" is the wheel's former name for amber,
"fougère" and "chypre" are the classic accords filed under aromatic and mossy woods), a
catalogue sub-family, and for descriptors without a family ("spicy", "smoky", "musky") the
notes that give that character. Occasions ask for any of a few moods, intensity words ask
for a concentration. Phrases are matched longest first over `ml.tokens.name_tokens`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ml.notes import ANIMALICS, MARINE, MUSKS, SMOKE, SPICES, SWEETS
from ml.vocabulary import FAMILY_GROUPS


@dataclass(frozen=True)
class Character:
    """A perfume has this character when its family, sub-family, a mood, a note or its
    concentration is one of these."""

    families: tuple[str, ...] = ()
    subfamilies: tuple[str, ...] = ()
    moods: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    concentrations: tuple[str, ...] = ()


_WOODY = FAMILY_GROUPS["woody"] + ("woody_amber",)
_AMBER = FAMILY_GROUPS["amber"] + ("floral_amber",)
CHARACTERS: dict[str, Character] = {
    "floral": Character(families=FAMILY_GROUPS["floral"]),
    "white_floral": Character(subfamilies=("white_floral",)),
    "soft_floral": Character(families=("soft_floral",)),
    "floral_amber": Character(families=("floral_amber",)),
    "soft_amber": Character(families=("soft_amber",)),
    "amber": Character(families=_AMBER),
    "woody_amber": Character(families=("woody_amber",)),
    "woody": Character(families=_WOODY, subfamilies=("woody",)),
    "mossy_woods": Character(families=("mossy_woods",), subfamilies=("chypre",)),
    "dry_woods": Character(families=("dry_woods",)),
    "leathery": Character(families=("dry_woods",), subfamilies=("leather",),
                          notes=("leather", "suede")),
    "aromatic": Character(families=("aromatic",), subfamilies=("herbal", "fougere")),
    "fougere": Character(families=("aromatic",), subfamilies=("fougere",)),
    "citrus": Character(families=("citrus",), subfamilies=("citrus_fruity", "cologne")),
    "aquatic": Character(families=("water",), subfamilies=("aquatic",), notes=MARINE),
    "green": Character(families=("green",), subfamilies=("green",)),
    "fruity": Character(families=("fruity",), subfamilies=("fruity", "citrus_fruity")),
    "gourmand": Character(subfamilies=("gourmand", "amber_vanilla")),
    "powdery": Character(families=("soft_floral",), subfamilies=("iris_powdery",),
                         moods=("powdery",)),
    "spicy": Character(subfamilies=("spicy",), notes=SPICES),
    "smoky": Character(families=("dry_woods",), subfamilies=("incense", "tobacco"),
                       notes=SMOKE),
    "musky": Character(subfamilies=("musky",), notes=MUSKS),
    "animalic": Character(notes=ANIMALICS),
    "salty": Character(notes=("sea salt",)),
    "aldehydic": Character(subfamilies=("aldehydic",), notes=("aldehydes",)),
    "resinous": Character(subfamilies=("incense", "amber_vanilla"),
                          notes=("benzoin", "labdanum", "myrrh", "opoponax", "styrax")),
    "cologne": Character(subfamilies=("cologne",), concentrations=("edc",)),
}
CHARACTER_WORDS: dict[str, str] = {
    **dict.fromkeys(("floral", "florals", "flowery", "flower", "flowers", "bouquet",
                     "fleuri", "fleurie", "florais", "blumig", "blumige", "blumiger",
                     "blumiges", "blumigen", "fleurs", "blumen", "flores", "fiori",
                     "floreale", "bloemen", "kwiaty", "bunga", "cicek", "cicekler",
                     "ciceksi", "cicekli"), "floral"),
    **dict.fromkeys(("animalic", "animalics", "animal", "animals", "animalistic", "skanky",
                     "dirty", "animal notes", "animalic notes"), "animalic"),
    **dict.fromkeys(("white floral", "white flower"), "white_floral"),
    **dict.fromkeys(("soft floral",), "soft_floral"),
    **dict.fromkeys(("floral amber", "floral oriental", "oriental floral"), "floral_amber"),
    **dict.fromkeys(("soft amber", "soft oriental"), "soft_amber"),
    **dict.fromkeys(("amber", "ambery", "ambre", "oriental", "orientals", "ambar", "bernstein",
                     "orientalisch", "orientalische", "orientalischer"), "amber"),
    **dict.fromkeys(("woody amber", "woody oriental", "oriental woody"), "woody_amber"),
    # with the French words perfumery writes in English too ("boisé", "épicé", "poudré")
    **dict.fromkeys(("woody", "woods", "wood", "woodsy", "boise", "boisee", "amaderado",
                     "amaderada", "legnoso", "legnosa", "amadeirado", "amadeirada",
                     "amadeirados", "holzig", "holzige", "holziger", "holziges", "holzigen",
                     "odunsu"),
                    "woody"),
    **dict.fromkeys(("chypre", "mossy", "mossy woods", "mossy woody"), "mossy_woods"),
    **dict.fromkeys(("dry woods", "dry woody"), "dry_woods"),
    **dict.fromkeys(("leathery",), "leathery"),
    **dict.fromkeys(("aromatic", "herbal", "herbaceous", "herby"), "aromatic"),
    **dict.fromkeys(("fougere", "fougeres"), "fougere"),
    **dict.fromkeys(("citrus", "citrusy", "citric", "zesty", "hesperidic", "hesperide",
                     "citrico", "citrica", "agrumato", "agrumata", "agrumi", "agrume",
                     "agrumes", "citrinos", "zitrisch", "zitrische", "zitrischer",
                     "zitrus"), "citrus"),
    **dict.fromkeys(("aquatic", "marine", "oceanic", "ocean", "watery", "ozonic", "sea",
                     "sea breeze", "beach", "seaside", "seashore", "sea air", "aquatico",
                     "aquatica", "marinho", "aquatisch", "maritim"), "aquatic"),
    **dict.fromkeys(("green", "leafy", "grassy", "verdant"), "green"),
    **dict.fromkeys(("fruity", "fruit", "fruits", "juicy", "afrutado", "afrutada",
                     "fruttato", "fruttata", "fruite", "fruitee", "frutado", "frutada",
                     "frutal", "fruchtig", "fruchtige", "fruchtiger"), "fruity"),
    # the family as shops name it: one family, not fruity and floral both (few perfumes of
    # the fruity family are tagged floral too: 1 of 5 hits met "fruity floral for teens")
    **dict.fromkeys(("fruity floral", "floral fruity", "fruity florals"), "fruity"),
    **dict.fromkeys(("gourmand", "gourmands", "edible", "dessert", "foody"), "gourmand"),
    **dict.fromkeys(("powdery", "poudre", "poudree", "atalcado", "atalcada", "pudrig",
                     "pudrige"), "powdery"),
    **dict.fromkeys(("spicy", "spiced", "spicey", "epice", "epicee", "especiado",
                     "especiada", "speziato", "speziata", "apimentado", "wurzig", "wurzige",
                     "wurziger", "wurziges"), "spicy"),
    **dict.fromkeys(("smoky", "smokey", "rauchig", "rauchige", "esfumacado", "smokier",
                     "smoked", "smouldering", "smoldering"), "smoky"),
    # a salty accord ("salted caramel", "salty vanilla": the salt was dropped)
    **dict.fromkeys(("salty", "salted", "saline", "saltier"), "salty"),
    # comparatives ("Aventus but woodier")
    "woodier": "woody", "spicier": "spicy", "fruitier": "fruity", "muskier": "musky",
    "greener": "green",
    **dict.fromkeys(("musky", "musque", "musquee", "almiscarado", "almiscarada"), "musky"),
    **dict.fromkeys(("aldehydic",), "aldehydic"),
    **dict.fromkeys(("resinous", "balsamic"), "resinous"),
    **dict.fromkeys(("cologne", "colognes", "eau de cologne"), "cologne"),
}
MOOD_WORDS: dict[str, str] = {
    "sexy": "sensual", "seductive": "sensual", "sensuous": "sensual", "cosy": "cozy",
    "comforting": "cozy", "snuggly": "cozy", "relaxing": "calm", "soothing": "calm",
    "serene": "calm", "calming": "calm", "refreshing": "fresh", "crisp": "fresh",
    "cool": "fresh", "lovely": "romantic", "chic": "sophisticated", "luxurious": "elegant",
    "classy": "elegant", "mature": "sophisticated", "cute": "playful", "fun": "playful",
    "innocent": "clean", "soapy": "clean", "soap": "clean", "soaps": "clean",
    "mystery": "mysterious", "mystical": "mysterious",
    "energizing": "energetic", "uplifting": "energetic", "vibrant": "energetic",
    "athletic": "sporty", "moody": "dark", "timeless": "classic", "vintage": "classic",
    "retro": "classic", "contemporary": "modern", "daring": "bold", "sugary": "sweet",
    "sucre": "sweet", "sucree": "sweet", "frais": "fresh", "fraiche": "fresh",
    # Spanish and Italian
    "fresco": "fresh", "fresca": "fresh", "frescos": "fresh", "frescas": "fresh",
    "dulce": "sweet", "dulces": "sweet", "romantico": "romantic", "romantica": "romantic",
    "romantique": "romantic", "elegante": "elegant", "limpio": "clean", "limpia": "clean",
    "earthy": "natural",
    # Portuguese and German
    **dict.fromkeys(("frisch", "frische", "frischer", "frisches", "frischen"), "fresh"),
    **dict.fromkeys(("doce", "doces", "adocicado", "adocicada", "suss", "susse", "susser",
                     "susses", "sussen"), "sweet"),
    **dict.fromkeys(("limpo", "limpa", "sauber", "saubere"), "clean"),
    **dict.fromkeys(("romantisch", "romantische"), "romantic"),
    **dict.fromkeys(("sinnlich", "sinnliche", "verfuhrerisch"), "sensual"),
    **dict.fromkeys(("gemutlich", "aconchegante"), "cozy"),
    # Turkish
    **dict.fromkeys(("ferah", "taze", "serin"), "fresh"), "tatli": "sweet", "temiz": "clean",
    "romantik": "romantic", "sicak": "warm",
    **dict.fromkeys(("quente", "warme", "warmes"), "warm"),
    **dict.fromkeys(("dunkel", "dunkle", "escuro", "escura"), "dark"),
    # a mood's noun ("zero sweetness", "a touch of warmth")
    "sweetness": "sweet", "freshness": "fresh", "warmth": "warm", "coziness": "cozy",
    "cosiness": "cozy", "elegance": "elegant", "sensuality": "sensual", "darkness": "dark",
    "cleanliness": "clean", "boldness": "bold", "playfulness": "playful",
    **dict.fromkeys(("teen", "teens", "teenage", "teenager", "teenagers", "youthful"),
                    "playful"),
    # how people name an old-fashioned perfume ("something my grandma would wear", "not
    # for old ladies": avoided)
    **dict.fromkeys(("grandma", "grandmas", "granny", "grandmother", "nana", "old lady",
                     "old ladies", "old fashioned", "old school", "dated", "oldfashioned",
                     "grandpa", "grandpas", "grandfather", "granddad", "grandad", "old man",
                     "old men"), "classic"),
    # comparatives ("like Black Opium but fresher", "something sweeter")
    "fresher": "fresh", "sweeter": "sweet", "darker": "dark", "cleaner": "clean",
    "warmer": "warm", "cozier": "cozy", "cosier": "cozy", "bolder": "bold",
    "sexier": "sensual", "calmer": "calm", "more elegant": "elegant",
    # "to smell expensive" says how a perfume smells, not what it costs (the price words
    # below): the longer phrase wins
    **dict.fromkeys(("smell expensive", "smells expensive", "smelling expensive",
                     "expensive smelling", "expensive smell", "smell rich", "smells rich",
                     "smell luxurious", "smells luxurious", "smells like money",
                     "smell like money", "smelling like money"), "elegant"),
}
# The notes that give a mood ("sweet": vanilla, tonka ...): a perfume carrying them has a
# little of the mood when its mood tags lack it, so avoiding the mood ("not too sweet")
# demotes it, by less (`ml.constraints.build_avoided`).
MOOD_NOTES: dict[str, tuple[str, ...]] = {"sweet": SWEETS}
OCCASIONS: dict[str, tuple[str, ...]] = {
    "office": ("clean", "fresh", "calm"), "daily": ("fresh", "clean", "calm"),
    "date": ("romantic", "sensual"),
    "evening": ("warm", "sensual", "dark", "mysterious", "bold", "elegant"),
    "party": ("bold", "playful", "sensual", "energetic"),
    "wedding": ("romantic", "elegant", "classic"), "sport": ("sporty", "energetic", "fresh"),
    "formal": ("elegant", "sophisticated", "classic", "clean"), "relaxing": ("calm", "cozy"),
    "school": ("fresh", "clean", "playful"),
    # A funeral or memorial asks for a quiet, dignified scent.
    "funeral": ("calm", "elegant", "classic"),
}
OCCASION_WORDS: dict[str, str] = {
    # a job interview is a day at the office at its most careful: clean, calm, quiet
    **dict.fromkeys(("office", "work", "workplace", "professional", "at work", "interview",
                     "interviews", "job interview", "job interviews"), "office"),
    **dict.fromkeys(("daily", "everyday", "every day", "daytime", "daily wear"), "daily"),
    **dict.fromkeys(("date", "date night", "dating", "first date"), "date"),
    **dict.fromkeys(("evening", "evenings", "night", "nights", "nighttime", "night out"),
                    "evening"),
    **dict.fromkeys(("party", "parties", "club", "clubbing", "nightclub"), "party"),
    **dict.fromkeys(("wedding", "bride", "bridal"), "wedding"),
    **dict.fromkeys(("gym", "sport", "sports", "workout", "exercise", "running"), "sport"),
    **dict.fromkeys(("formal", "business", "meeting", "meetings"), "formal"),
    **dict.fromkeys(("sleep", "bedtime", "lounging", "relaxation"), "relaxing"),
    **dict.fromkeys(("school", "campus", "class", "student", "university"), "school"),
    **dict.fromkeys(("funeral", "funerals", "memorial", "memorial service", "mourning",
                     "condolence", "condolences"), "funeral"),
}
INTENSITIES: dict[str, tuple[str, ...]] = {"light": ("edc", "edt"), "strong": ("edp", "parfum")}
# How long and how far a perfume carries: a strong intensity, and words about its
# performance, not its smell, so never embedded ("good longevity" ranked Good Girl first).
PERFORMANCE_PHRASES = (
    "long lasting", "longer lasting", "longlasting", "beast mode", "lasts all day",
    "last all day", "lasting all day", "lasts long", "last long", "lasts forever",
    "long wearing", "longevity", "good longevity", "great longevity", "sillage",
    "good sillage", "great sillage", "projection", "good projection", "great projection",
    "strong projection", "projecting", "projects", "performance", "good performance",
    "great performance", "performs well", "performer", "good performer", "great performer")
# how soon a perfume fades: a light intensity ("won't fade" avoids one), never embedded
FADING_PHRASES = ("fade", "fades", "fading", "fade fast", "fades fast", "fade quickly",
                  "fades quickly")
# intensity phrases about how a perfume performs, not how it smells: never embedded
UNEMBEDDED_INTENSITIES = frozenset((*PERFORMANCE_PHRASES, *FADING_PHRASES))
INTENSITY_WORDS: dict[str, str] = {
    **dict.fromkeys(("light", "subtle", "delicate", "sheer", "airy", "discreet",
                     "understated", "lightweight", "skin scent", "lighter", "softer",
                     "subtler", "quieter", *FADING_PHRASES,
                     # Spanish, Italian, Portuguese, German
                     "suave", "suaves", "leve", "leggero", "leggera", "ligero", "ligera",
                     "leicht", "leichte", "leichtes", "dezent", "dezente"), "light"),
    **dict.fromkeys(("strong", "intense", "powerful", "heavy", "stronger", "more intense",
                     "louder", "heavier", "loud", "potent", *PERFORMANCE_PHRASES,
                     "intenso", "intensa", "forte", "fuerte", "stark", "starke", "intensiv",
                     "intensive",
                     # what "not ..." says of a perfume too much of itself ("sweet but not
                     # cloying"): an avoided strong intensity
                     "overpowering", "cloying", "overbearing", "suffocating",
                     # what a perfume too strong does ("doesn't give me a headache")
                     "headache", "headaches", "migraine", "migraines",
                     *(f"{verb} {whom} {ache}" for verb in ("give", "gives", "gave", "giving")
                       for whom in ("me", "her", "him", "us", "them", "you", "everyone",
                                    "people")
                       for ache in ("a headache", "headaches", "a migraine", "migraines")),
                     *(f"{verb} {whose} head {hurts}" for verb in ("make", "makes")
                       for whose in ("my", "her", "his", "our", "their")
                       for hurts in ("hurt", "spin", "ache"))), "strong"),
}
# The words of an intensity phrase that say a perfume hurts: never a wish. What comes before
# is what hurts ("vanilla gives me a headache" excludes vanilla; "strong perfumes give me
# headaches" avoids a strong one), and a strong intensity is avoided either way.
ACHES = frozenset(("headache", "headaches", "migraine", "migraines", "hurt", "spin", "ache"))
# How a query names a concentration, as the catalogue's `concentration` ("extrait" is a
# parfum; "eau de parfum" as three words, `written_concentrations`).
CONCENTRATION_WORDS = {"extrait": "parfum", "parfum": "parfum", "edp": "edp", "edt": "edt",
                       "edc": "edc", "toilette": "edt"}
EAU_DE = {"parfum": "edp", "toilette": "edt", "cologne": "edc"}


def written_concentrations(tokens: Sequence[str]) -> frozenset[str]:
    """The concentrations the tokens name: "edp", "eau de toilette", "extrait"."""
    found = set()
    for i, token in enumerate(tokens):
        if token == "de" and 0 < i < len(tokens) - 1 and tokens[i - 1] == "eau" \
                and tokens[i + 1] in EAU_DE:
            found.add(EAU_DE[tokens[i + 1]])
        elif token in CONCENTRATION_WORDS and not (i > 1 and tokens[i - 1] == "de"
                                                   and tokens[i - 2] == "eau"):
            found.add(CONCENTRATION_WORDS[token])
    return frozenset(found)


# Price: the catalogue has no prices, so these words are reported as ignored (`ml.planning`)
# rather than searched. A currency takes the amount and the comparison written before it
# ("under 50 dollars", "less than $80") and a cap after it ("50 euros max").
PRICE_WORDS = frozenset((
    "cheap", "cheaper", "cheapest", "inexpensive", "affordable", "budget", "budget friendly",
    "low cost", "bargain", "expensive", "pricey", "price", "prices", "priced", "pricing",
    "cost", "costs", "money", "dollar", "dollars", "usd", "buck", "bucks", "euro", "euros",
    "eur", "pound", "pounds", "gbp", "won", "krw", "yen"))
PRICE_LEADS = frozenset(("under", "below", "less", "than", "max", "maximum", "up", "to",
                         "within", "around", "about", "over", "at", "most", "no more",
                         "for"))
PRICE_TAILS = frozenset(("max", "maximum", "tops", "or less", "at most"))
# currencies that are other words without an amount before them ("won't", "won the")
AMOUNT_ONLY_CURRENCIES = frozenset(("won", "pound", "pounds"))
# Words that ask for a perfume without saying anything about it: a query of only these
# (and words no perfume is described with) is one the search did not understand.
GENERIC_WORDS = frozenset((
    "perfume", "perfumes", "fragrance", "fragrances", "scent", "scents", "smell", "smells",
    "parfum", "parfums", "eau", "toilette", "spray", "something", "anything", "one", "good",
    "nice", "best", "great", "recommend", "recommendation", "suggest", "suggestion", "want",
    "need", "looking", "please", "wear", "like", "love",
    # Spanish, French, Italian, Portuguese and German
    "profumo", "profumi", "fragancia", "fragancias", "fragranza", "para", "pour", "per",
    "de", "del", "di", "un", "una", "uno", "le", "la", "el", "los", "las", "fragrancia",
    "cheiro", "um", "uma", "do", "da", "dos", "das", "algo", "duft", "dufte", "fur", "ein",
    "eine", "einen", "der", "die", "den", "dem", "mit", "etwas", "bitte"))
# Words that carry no wish of their own: what is left of "I hate oud" ("i") or "nothing
# with patchouli" ("with") once the wishes are read is embedded as nothing (`ml.planning`).
FUNCTION_WORDS = frozenset((
    "i", "me", "my", "mine", "we", "us", "our", "you", "your", "it", "its", "is", "are", "be",
    "was", "were", "am", "do", "does", "did", "have", "has", "had", "with", "a", "an", "the",
    "that", "this", "these", "those", "for", "of", "to", "in", "on", "at", "and", "or", "but",
    "so", "just", "really", "t", "s", "which", "what", "some", "any", "please", "pls", "plz",
    "thanks", "thank"))
# Markers. Negation and "like" markers look forward in English; "free" looks back
# ("tonka-free"); Korean markers arrive as `<not`, `<soft` and `<like` (see ml.korean).
NEGATIONS = frozenset((
    "without", "no", "not", "except", "except for", "excluding", "exclude", "minus",
    "anything but", "everything but", "hold the", "free of", "free from", "avoid", "avoiding",
    "skip", "never", "nothing", "none", "non", "don t want", "do not want", "dont want",
    "don t like", "do not like", "dont like", "allergic to", "hate", "dislike", "no more",
    "but not", "rather than", "instead of", "lacking", "other than", "sans", "sin", "pas",
    "pas trop",
    "senza", "sem", "nao", "nada de", "ohne", "kein", "keine", "keinen", "keiner", "nicht",
    # aversions in those languages ("pas de vanille", "je déteste la vanille", "odio la
    # vainilla", "ich hasse Vanille" required vanilla), and words for "without" of languages
    # whose note names are understood ("zonder", "geen", "bez", "tanpa", "fara": "fava")
    "pas de", "pas d", "pas la", "pas le", "pas les", "surtout pas", "n aime pas",
    "n aime pas la", "n aime pas le", "n aime pas les", "deteste", "deteste la", "deteste le",
    "deteste les", "no me gusta", "no me gusta la", "no me gusta el", "no me gustan",
    "odio", "odio la", "odio el", "odio il", "odio lo", "niente", "ich hasse", "hasse",
    "odeio", "odeio a", "odeio o", "zonder", "geen", "uden", "bez", "tanpa", "tidak suka",
    "fara", "bidun", "neither", "different from", "different than", "something else than",
    # contractions as people type them, with or without the apostrophe ("isn't too sweet")
    "isn t", "isnt", "aren t", "arent", "doesn t", "doesnt", "shouldn t", "shouldnt",
    "wasn t", "wasnt", "shouldn t be", "shouldnt be", "should not be", "can t be", "cant be",
    "won t be", "not be", "won t", "wont", "will not", "don t", "dont", "do not",
    # aversions as people write them ("I can't stand oud" wished for oud)
    "can t stand", "cant stand", "cannot stand", "can not stand", "can t bear", "cant bear",
    "cannot bear", "hates", "hated", "hating", "detest", "detests", "loathe", "loathes",
    "dislikes", "not into", "zero", "sick of", "tired of", "stay away from",
    "steer clear of", "no to", "can t do", "cant do", "can t handle", "cant handle"))
SOFT_NEGATIONS = frozenset(("less",))
# Aversions written after what they are about ("oud is too much for me", "tonka makes me
# sick"): they apply to the list before them, as "free" does ("tonka-free"). (A headache
# is what a perfume too strong gives: an intensity word, see INTENSITY_WORDS.)
BACK_NEGATIONS = frozenset((
    "free", "is too much", "are too much", "too much for me", "is not for me",
    "isn t for me", "isnt for me", "are not for me", "aren t for me", "not for me",
    "is a no", "is a no go", "no thanks", "no thank you", "makes me sick", "make me sick",
    "makes me sneeze", "is a dealbreaker", "is overpowering", "are overpowering",
    "is off limits", "isn t my thing", "isnt my thing", "is not my thing", "not my thing",
    "aren t my thing", "arent my thing", "are not my thing", "not my cup of tea",
    "is not my style", "isn t my style", "not my style", "is too strong for me",
    "are too strong for me", "gets on my nerves", "away",  # "keep the oud away"
    # Turkish puts "without" and aversions after the word ("vanilya olmadan" asked for
    # vanilla; "çiçeksi olmayan": not floral)
    "olmadan", "olmayan", "olmasin", "istemiyorum", "sevmiyorum", "sevmem", "haric", "yok"))
# A clause-final "no" after what it is about: "lavender yes, tonka no".
TRAILING_NO = frozenset(("no", "nope"))
SOFTENERS = frozenset(("too", "overly", "very", "so", "super", "excessively", "too much",
                       "that",
                       # "nicht zu süß", "pas trop sucré", "no demasiado dulce", "non troppo
                       # dolce", "não muito doce" were wishes for sweet
                       "zu", "allzu", "sehr", "trop", "tres", "demasiado", "tan", "muy",
                       "troppo", "molto", "muito", "tao"))
# After "smells like" words that name no perfume describe a smell ("smells like clean
# laundry"); so they do after a weak marker ("i love the smell of rain"); after a strong
# marker they are an unknown perfume ("dupe for Zorblax").
SMELL_LIKES = frozenset(("smells like", "smell like", "smelling like"))
WEAK_LIKES = frozenset(("like", "like the", "something like", "similar", "close to", "i love",
                        "i really love", "fan of", "fans of", "if i like", "if you like"))
STRONG_LIKES = frozenset((
    "similar to", "dupe for", "dupe of", "dupe", "dupes for", "dupes of", "alternative to",
    "alternatives to", "alternative for", "alternative", "reminiscent of", "in the style of",
    "clone of", "clone", "inspired by", "same vibe as", "vibe of", "along the lines of",
    "in the vein of",
    # "a feminine version of Bleu de Chanel" listed both Bleu de Chanel first
    "version of", "a version of", "take on", "a take on", "twist on", "a twist on"))
LIKES = STRONG_LIKES | WEAK_LIKES | SMELL_LIKES
# Markers that may follow the perfume they point at ("Chanel No 5 dupe", "Sauvage clones"),
# and phrases that only ever do ("Santal 33 but cheaper").
TRAILING_LIKES = frozenset(("dupe", "clone", "alternative", "dupe for", "dupes for",
                            "alternative for", "alternatives to", "alternative to"))
BACK_LIKES = frozenset(("but cheaper", "only cheaper", "just cheaper", "but affordable",
                        "but more affordable"))
# "Santal 33 but less sweet", "... but more smoky": a perfume, "but", a comparative.
# words after "but" that compare with a perfume named before ("Santal 33 but less sweet",
# "Sauvage but fresher")
COMPARATIVES = frozenset(("less", "more", "fresher", "sweeter", "darker", "cleaner", "warmer",
                          "cozier", "cosier", "bolder", "sexier", "calmer", "lighter", "softer",
                          "subtler", "quieter", "stronger", "heavier", "louder", "woodier",
                          "spicier", "fruitier", "muskier", "smokier", "greener", "brighter",
                          "deeper", "richer"))
CONJUNCTIONS = frozenset(("and", "or", "nor", "&", "+", "/", "plus", "y", "et", "ou", "e",
                          "und", "oder"))
SCOPE_FILLERS = frozenset((
    "any", "the", "a", "an", "of", "some", "real", "actual", "notes", "note", "hint", "hints",
    "trace", "traces", "accord", "accords", "at", "all", "whatsoever", "added", "more",
    "with", "in", "it", "scent", "smell",
    # "not like my grandma": the possessive stood between the negation and the mood
    "my", "your", "our", "their"))
BACK_NEGATION, BACK_SOFT, BACK_LIKE = "<not", "<soft", "<like"
# Everyday query words that are one letter away from a vocabulary word ("good" / "wood",
# "wear" / "pear", "nose" / "rose"): known words, never read as typos (`ml.spelling`).
COMMON_QUERY_WORDS = frozenset((
    "good", "wear", "wearing", "nose", "love", "loved", "nice", "best", "time", "gift",
    "want", "need", "wants", "needs", "looking", "smell", "smells", "smelled", "smelling",
    "scent", "scents", "cheap", "cheaper", "cheapest", "price", "budget", "version",
    "dupe", "dupes", "clone", "clones", "kind", "type", "long", "last", "lasts", "lasting",
    "hours", "skin", "body", "bottle", "brand", "brands", "house", "home", "room", "rain",
    "wedding", "work", "would", "could", "should", "really", "very", "great", "make",
    "makes", "feel", "feels", "sure", "else", "other", "than", "then", "them", "they",
    "this", "these", "those", "what", "when", "where", "which", "while", "with", "your",
    "mine", "mild", "wild", "bold", "cold", "hot", "warmer", "lighter", "sweeter",
    "stronger", "softer", "darker", "fresher", "less", "more", "most", "much", "many",
    "please", "recommend", "recommendation", "suggest", "something", "anything", "everything",
    "someone", "people", "compliment", "compliments", "signature", "unique", "niche",
    "designer", "popular", "famous", "classic", "modern", "older", "younger", "teen",
    "teenager", "adult", "office", "perfume", "perfumes", "fragrance", "fragrances",
    "cologne", "parfum", "toilette", "extrait", "sample", "samples", "spray", "leau", "perf",
    # the small words of the other languages read ("Rose ohne Oud aber mit Patschuli" read
    # "aber" as amber)
    "aber", "und", "oder", "mit", "fur", "den", "der", "die", "das", "ein", "eine", "einen",
    "nicht", "sehr", "ist", "ich", "mag", "liebe", "mais", "avec", "pour", "une", "est",
    "pero", "con", "para", "una", "muy", "ma", "con", "per", "molto", "mas", "com", "uma",
    "muito"))
