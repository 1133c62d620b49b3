"""Which catalogue notes a note named in a query stands for.

A query note covers itself, its synonyms (`orris` for `iris`, `agarwood` for `oud`) and every
catalogue note whose last words it is (`pepper` -> `pink pepper`, `musk` -> `white musk`,
`tea` -> `green tea`). A group word covers a whole group (`citrus` -> bergamot, lemon,
mandarin ...; `spices` -> pepper, cardamom, clove ...). The same expansion serves both
directions: an included note is met by any note it covers, and an excluded note rejects a
perfume carrying any of them ("no citrus" rejects bergamot and lemon).

The groups follow the usual odour-family classification of perfumery materials (as in
perfumers' raw-material references: citrus, floral, fruity, green, herbal, spicy, woody,
balsamic/resinous, musky, gourmand, marine, leather, smoky).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ml.tokens import name_tokens

CITRUS = ("bergamot", "lemon", "lime", "mandarin", "orange", "grapefruit", "yuzu", "citron",
          "bitter orange", "blood orange", "blood mandarin", "clementine", "black lime",
          "petitgrain", "tangerine", "kumquat", "mandarin leaf")
WHITE_FLOWERS = ("jasmine", "tuberose", "gardenia", "orange blossom", "frangipani",
                 "tiare flower", "stephanotis", "white flowers", "ylang-ylang", "magnolia",
                 "water jasmine", "champaca", "neroli", "lily")
FLOWERS = (
    *WHITE_FLOWERS, "rose", "violet", "iris", "orris", "peony", "freesia", "lily of the valley",
    "mimosa", "heliotrope", "osmanthus", "honeysuckle", "lilac", "carnation", "cyclamen",
    "geranium",
    "lotus", "magnolia", "narcissus", "hyacinth", "orchid", "water lily", "cherry blossom",
    "linden", "wisteria", "bluebell", "hibiscus", "marigold", "floral notes", "lemon blossom",
    "lime blossom", "pear blossom", "olive blossom", "ginger lily", "ginger flower",
    "tobacco blossom", "raspberry blossom", "papaya flower", "silk tree blossom", "amaryllis",
    "bellflower", "broom", "datura", "oleander", "passionflower", "sweet pea", "water hyacinth",
    "rangoon creeper", "night-blooming cereus", "immortelle", "chamomile", "hawthorn")
SPICES = ("pink pepper", "black pepper", "sichuan pepper", "cardamom", "ginger", "saffron",
          "cinnamon", "clove", "nutmeg", "cumin", "star anise", "pimento", "spices", "chili",
          "turmeric", "galangal", "caraway", "anise", "fenugreek", "coriander")
WOODS = ("cedar", "sandalwood", "vetiver", "guaiac wood", "oud", "birch", "woody notes",
         "rosewood", "oak", "teak", "mahogany", "amberwood", "driftwood", "balsa wood",
         "sycamore", "cypress", "pine", "papyrus", "cashmeran", "iso e super", "javanol",
         "amyris", "olive tree", "hemlock")
FRUITS = ("apple", "green apple", "red apple", "pear", "peach", "plum", "apricot", "blackberry",
          "blackcurrant", "raspberry", "strawberry", "fig", "coconut", "pineapple", "melon",
          "lychee", "cherry", "mango", "green mango", "papaya", "passion fruit", "pomegranate",
          "quince", "rhubarb", "grape", "mirabelle", "persimmon", "red berries", "redcurrant",
          "boysenberry", "goji berry", "carambola", "banana leaf", "candied fruit",
          "dried fruits", "date", "fruity notes", "sapodilla", "maninka fruit")
GOURMAND = ("vanilla", "tonka bean", "praline", "caramel", "honey", "chocolate", "cacao",
            "coffee", "almond", "bitter almond", "brown sugar", "sugar", "cotton candy",
            "tiramisu", "panna cotta", "milk", "pistachio", "hazelnut", "chestnut",
            "licorice", "rum", "cognac", "liqueur", "sugar cane", "royal jelly")
GREEN = ("green notes", "galbanum", "violet leaf", "grass", "fig leaf", "ivy", "blackcurrant leaf",
         "birch leaf", "strawberry leaf", "mandarin leaf", "bamboo", "tomato leaf", "mate",
         "shiso", "cucumber")
HERBS = ("lavender", "rosemary", "sage", "clary sage", "basil", "mint", "thyme", "artemisia",
         "tarragon", "oregano", "bay leaf", "myrtle", "verbena", "santolina", "fennel",
         "angelica", "eucalyptus", "davana", "juniper", "camphor")
RESINS = ("benzoin", "labdanum", "myrrh", "opoponax", "styrax", "elemi", "peru balsam",
          "incense", "resin", "resins", "balsam", "mastic", "fir balsam", "lentisk")
MUSKS = ("musk", "white musk", "ambrette")
MARINE = ("marine notes", "sea salt", "calone", "seaweed", "water notes", "driftwood")
SMOKE = ("smoke", "incense", "birch", "tar", "tobacco")
LEATHER = ("leather", "suede", "castoreum")
# The notes that make a perfume animalic ("no animalics", "dirty musk"): what the animals
# gave perfumery and its stand-ins, not musk (white musks are clean) nor ambergris (marine)
ANIMALICS = ("civet", "castoreum", "costus", "hyraceum", "indole", "animalic notes",
             "animal notes")
TEA = ("tea", "green tea", "black tea", "oolong tea", "mate")
# The notes that make a perfume smell sweet: what "not too sweet" avoids besides the mood.
SWEETS = ("vanilla", "tonka bean", "praline", "caramel", "honey", "chocolate", "cacao",
          "brown sugar", "sugar", "cotton candy", "marshmallow", "tiramisu", "panna cotta",
          "licorice", "sugar cane", "royal jelly", "toffee", "candy")
# What clean laundry smells of: the clean musks and the aldehydes of washing powder.
LAUNDRY = ("white musk", "aldehydes", "cotton")
# Christmas: the spices of mulled wine and gingerbread, the tree, the orange.
CHRISTMAS = ("cinnamon", "clove", "nutmeg", "pine", "fir balsam", "orange", "gingerbread")
# A bakery: vanilla, almond, caramel, praline, the tonka and cinnamon of pastries, honey.
BAKERY = ("vanilla", "almond", "caramel", "praline", "tonka bean", "cinnamon", "honey")
# Baby powder (talc): the powdery heliotrope, iris and violet, rice powder, clean musk.
BABY_POWDER = ("heliotrope", "iris", "orris", "violet", "rice", "white musk")
# Rain: the smell of wet earth (petrichor), water and wet stone, and the aquatic accords that
# perfumers build rain with.
RAIN = ("petrichor", "water notes", "mineral notes", "marine notes")
# Marshmallow and candy floss: spun sugar and vanilla.
CONFECTIONERY = ("cotton candy", "sugar", "brown sugar", "vanilla")
# Gin is juniper (and its botanicals), which the catalogue lists as such.
GIN = ("juniper",)
# A forest: its conifers and the moss of its floor (not cedar: half the catalogue has it).
FOREST = ("pine", "fir balsam", "cypress", "oakmoss")
# A church: the incense and resins burnt there.
CHURCH = ("incense", "myrrh", "labdanum")
# A cigar is tobacco; whisky is what perfumes give its cask notes with: cognac and rum.
CIGAR = ("tobacco",)
WHISKY = ("cognac", "rum")
# A barbershop: the fougère of shaving soaps, lavender and coumarin (tonka) over oakmoss.
BARBERSHOP = ("lavender", "tonka bean", "geranium", "oakmoss")
# Sunscreen: the coconut and white flowers of suntan lotions.
SUNSCREEN = ("coconut", "ylang-ylang", "frangipani")
# A new car: its leather seats.
NEW_CAR = ("leather",)

# The words people describe rain with (the recipes build it as an accord: ml.recipe.vocabulary)
RAIN_WORDS = ("rain", "rainy", "rainy day", "rainy days", "after the rain", "wet earth")
# Group words that describe a smell rather than name a kind of note ("smells like clean
# laundry", "smells like christmas"): a query wishing for one asks for any of its notes,
# listed as such, and for the season it belongs to (`DESCRIPTION_SEASONS`).
DESCRIBED: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("laundry", "fabric softener", "detergent"), LAUNDRY),
    **dict.fromkeys(("christmas", "xmas", "christmas tree"), CHRISTMAS),
    **dict.fromkeys(("bakery", "bakeries", "baked goods", "pastry", "pastries", "cookie",
                     "cookies", "biscuit", "biscuits", "cake", "cakes", "cupcake",
                     "cupcakes", "birthday cake"), BAKERY),
    **dict.fromkeys(("baby powder", "talc", "talcum", "talcum powder"), BABY_POWDER),
    **dict.fromkeys(RAIN_WORDS, RAIN),
    **dict.fromkeys(("marshmallow", "marshmallows", "candy floss", "cotton candy scent"),
                    CONFECTIONERY),
    **dict.fromkeys(("gin", "gin and tonic", "gin tonic", "gin & tonic"), GIN),
    **dict.fromkeys(("forest", "forests", "forest floor", "woodland", "woodlands"), FOREST),
    **dict.fromkeys(("church", "churches", "cathedral", "chapel"), CHURCH),
    **dict.fromkeys(("cigar", "cigars", "cigar box", "cigar lounge"), CIGAR),
    **dict.fromkeys(("whiskey", "whisky", "whiskies"), WHISKY),
    **dict.fromkeys(("barbershop", "barber shop", "barber", "shaving cream",
                     "shaving soap"), BARBERSHOP),
    **dict.fromkeys(("sunscreen", "sunblock", "sun cream", "suntan lotion", "suntan oil",
                     "sunscreen lotion"), SUNSCREEN),
    **dict.fromkeys(("new car", "new car smell"), NEW_CAR),
}
DESCRIPTIONS = frozenset(DESCRIBED)
# Query words that name a whole group (plural and adjective forms included).
GROUPS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("citrus", "citruses", "citrusy", "citrus notes", "citrus fruits"), CITRUS),
    **dict.fromkeys(("flowers", "florals", "floral notes", "flowery"), FLOWERS),
    **dict.fromkeys(("white flowers", "white florals"), WHITE_FLOWERS),
    **dict.fromkeys(("spices", "spice", "spicy notes"), SPICES),
    **dict.fromkeys(("woods", "woody notes"), WOODS),
    **dict.fromkeys(("fruits", "fruit", "fruity notes"), FRUITS),
    **dict.fromkeys(("gourmand notes", "sweets"), GOURMAND),
    **dict.fromkeys(("greens", "green notes"), GREEN),
    **dict.fromkeys(("herbs", "herbal notes"), HERBS),
    **dict.fromkeys(("resins", "balsams"), RESINS),
    **dict.fromkeys(("musks", "musky notes"), MUSKS),
    **dict.fromkeys(("marine notes", "sea notes", "aquatic notes"), MARINE),
    "smoke": SMOKE, "leathers": LEATHER, "musk": MUSKS,
    **DESCRIBED,
}
DESCRIPTION_SEASONS = {"christmas": "winter", "xmas": "winter", "christmas tree": "winter"}
# Notes excluded with a character word that describes notes ("no citrus", "not musky", "no
# woods": every wood note, as "no citrus" is every citrus note). "Not floral" excludes the
# floral families only: nearly every perfume carries a flower.
CHARACTER_GROUPS: dict[str, tuple[str, ...]] = {
    "citrus": CITRUS, "woody": WOODS, "spicy": SPICES, "fruity": FRUITS, "gourmand": GOURMAND,
    "green": GREEN, "musky": MUSKS, "aquatic": MARINE, "smoky": SMOKE, "leathery": LEATHER,
    "resinous": RESINS, "aldehydic": ("aldehydes",),
}
# Synonyms: each tuple is one note under several names (first: the catalogue's name), the
# French and variant spellings of `VARIANTS` among them.
SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("iris", "orris"), ("oud", "agarwood", "aoud", "oudh"), ("incense", "frankincense",
                                                             "olibanum", "encens"),
    ("tonka bean", "tonka", "coumarin", "feve tonka"), ("ylang-ylang", "ylang"),
    ("musk", "musks", "musc"), ("lily of the valley", "muguet", "lily-of-the-valley"),
    ("cedar", "cedarwood", "cedre"), ("blackcurrant", "cassis", "black currant"),
    ("sandalwood", "sandal", "santal"), ("mandarin", "tangerine"),
    ("cacao", "cocoa", "chocolate"), ("marine notes", "sea", "ocean", "marine"),
    ("patchouli", "patchouly"), ("oakmoss", "oak moss"), ("aldehydes", "aldehyde"),
    ("sea salt", "salt"), ("black pepper", "pepper"), ("woody notes", "wood"),
    ("pink pepper", "pink peppercorn", "pink peppercorns"),
    ("jasmine", "jasmin", "gelsomino", "jazmin"), ("vanilla", "vanille", "vaniglia", "vainilla"),
    ("tuberose", "tubereuse", "tuberosa"),
    ("bergamot", "bergamote", "bergamotto", "bergamota"),
    ("orange blossom", "fleur d oranger", "fleurs d oranger", "zagara", "azahar"),
    ("leather", "cuir", "cuoio", "cuero"), ("vetiver", "vetyver"), ("violet", "violette"),
    ("lavender", "lavande", "lavanda"), ("cashmeran", "cashmere wood", "cashmere woods"),
)
# Notes as Spanish, French, Italian, Portuguese and German queries name them ("rosa y
# vainilla", "perfume de rosas", "pamplemousse", "ohne Vanille", "sem baunilha"), joined to
# the notes' synonyms above (accents and umlauts are dropped before matching: "maçã", "Zimt").
TRANSLATED_NAMES: tuple[tuple[str, ...], ...] = (
    ("rose", "rosa", "rosas", "rosen"), ("grapefruit", "pamplemousse", "pompelmo", "toronja"),
    ("lemon", "limon", "limone", "zitrone", "limao"), ("orange", "naranja", "arancia",
                                                      "laranja"),
    ("mandarin", "mandarine", "mandarina", "mandarino", "tangerina"),
    ("sandalwood", "sandalo", "sandelholz"), ("patchouli", "pachuli"),
    ("musk", "almizcle", "muschio", "moschus", "almiscar"),
    ("fig", "higo", "figue", "fico", "feige", "figo"), ("cedar", "cedro", "zeder"),
    ("tobacco", "tabac", "tabaco", "tabacco", "tabak"), ("honey", "miel", "miele", "honig"),
    ("incense", "incienso", "incenso", "weihrauch"),
    ("black pepper", "pimienta", "poivre", "pfeffer", "pimenta"),
    ("cinnamon", "canela", "cannelle", "cannella", "zimt"),
    ("apple", "manzana", "pomme", "apfel", "maca"),
    ("cherry", "cereza", "cerise", "ciliegia", "kirsche", "kirschen", "cereja"),
    ("almond", "almendra", "amande", "mandorla", "mandel", "mandeln", "amendoa"),
    ("mint", "menta", "menthe", "minze", "hortela"), ("vanilla", "vainillas", "baunilha"),
    ("jasmine", "jazmines", "jasmim"), ("lavender", "lavendel"),
    ("leather", "leder", "couro"), ("violet", "veilchen"),
    ("lily of the valley", "maiglockchen"), ("peach", "pfirsich", "pessego"),
    ("pear", "birne", "pera"), ("coconut", "kokos", "kokosnuss", "coco"),
    ("coffee", "kaffee", "cafe"), ("cacao", "schokolade"),
    ("tonka bean", "tonkabohne", "fava tonka"), ("ginger", "ingwer", "gengibre"),
    ("cardamom", "kardamom", "cardamomo"), ("sage", "salbei", "salvia"),
    ("sea salt", "meersalz", "sal marinho"),
    ("orange blossom", "orangenblute", "flor de laranjeira"),
    ("peony", "pfingstrose", "peonia"), ("lily", "lilie", "lirio"),
    ("raspberry", "himbeere", "framboesa", "framboise"),
    ("strawberry", "erdbeere", "morango", "fraise"), ("plum", "pflaume", "ameixa"),
    ("caramel", "karamell", "caramelo"), ("pineapple", "abacaxi"),
    ("saffron", "safran", "acafrao"), ("clove", "nelke", "cravo"), ("tea", "tee"),
    ("lime", "limette"), ("basil", "basilikum", "manjericao"),
    ("rosemary", "rosmarin", "alecrim"), ("thyme", "thymian", "tomilho"),
    ("myrrh", "myrrhe", "mirra"), ("benzoin", "benzoe", "benjoim"),
    # Turkish (ç, ş, ğ, ü and dotless ı fold to c, s, g, u, i: gül, tütün, tarçın)
    ("rose", "gul", "guller"), ("vanilla", "vanilya"), ("jasmine", "yasemin"),
    ("lavender", "lavanta"), ("orange", "portakal"), ("cinnamon", "tarcin"),
    ("coffee", "kahve"), ("strawberry", "cilek"), ("leather", "deri"), ("tobacco", "tutun"),
    ("musk", "misk"), ("sandalwood", "sandal agaci"), ("apple", "elma"),
    ("cherry", "kiraz"), ("peach", "seftali"), ("mint", "nane"), ("honey", "bal ozu"),
    ("coconut", "hindistan cevizi"), ("lemon", "limon"), ("oud", "ud agaci"),
)
SYNONYMS = tuple(
    (*names, *(name for group in TRANSLATED_NAMES if group[0] == names[0] for name in group[1:]))
    for names in SYNONYMS) + tuple(
    group for group in TRANSLATED_NAMES if not any(names[0] == group[0] for names in SYNONYMS))
# The words of the French, Italian, Spanish, Portuguese, German and variant spellings
# among the synonyms ("jasmin", "santal", "tuberosa"; "ambre" is the character amber): notes
# as query words, yet words of their own in a perfume's name ("Tobacco Vanille" and "Jasmin
# Rouge" stay names, see `ml.query_units`).
VARIANTS = frozenset(("encens", "feve", "musc", "cedre", "santal", "jasmin", "vanille",
                      "tubereuse", "bergamote", "fleur", "fleurs", "oranger", "cuir", "vetyver",
                      "violette", "lavande", "ambre", "gelsomino", "jazmin", "vaniglia",
                      "vainilla", "tuberosa", "bergamotto", "bergamota", "zagara",
                      "azahar", "cuoio", "cuero", "lavanda",
                      *(name for group in TRANSLATED_NAMES for name in group[1:])))
_MATERIALS = {name: names[0] for names in SYNONYMS for name in names}


def material(note: str) -> str:
    """One name per material: a note's first synonym (`orris` -> `iris`), else the note."""
    return _MATERIALS.get(note, note)


@dataclass(frozen=True)
class NoteTaxonomy:
    """Expansions over one catalogue's note vocabulary (see the module doc)."""

    vocabulary: frozenset[str]
    _synonyms: dict[str, frozenset[str]]
    _endings: dict[tuple[str, ...], frozenset[str]]

    @classmethod
    def build(cls, notes: Iterable[str]) -> NoteTaxonomy:
        synonyms: dict[str, frozenset[str]] = {}
        for names in SYNONYMS:
            for name in names:
                synonyms[name] = synonyms.get(name, frozenset()) | frozenset(names)
        endings: dict[tuple[str, ...], set[str]] = {}
        for note in notes:
            tokens = tuple(name_tokens(note))
            for start in range(len(tokens)):
                endings.setdefault(tokens[start:], set()).add(note)
        return cls(frozenset(notes), synonyms,
                   {tail: frozenset(found) for tail, found in endings.items()})

    def canonical(self, note: str) -> str:
        """The catalogue's name for a note named in a query (`orris` stays `orris`)."""
        if note in self.vocabulary:
            return note
        for name in self._synonyms.get(note, ()):
            if name in self.vocabulary:
                return name
        return note

    def expand(self, note: str) -> frozenset[str]:
        """Every catalogue note (and the note itself) that `note` stands for."""
        if note in GROUPS:
            return frozenset(GROUPS[note]) & self.vocabulary | {note}
        names = self._synonyms.get(note, frozenset({note})) | {note}
        covered = set(names)
        for name in names:
            covered |= self._endings.get(tuple(name_tokens(name)), frozenset())
        return frozenset(covered)
