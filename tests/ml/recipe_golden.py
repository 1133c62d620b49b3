"""The golden set: hand-built formulas on the shipped knowledge base, each with the verdict a
regulatory reviewer expects per rule and the arithmetic behind it.

Every amount is in % of the finished product: ``pct in the concentrate x content x dose``.
Constituent contents are the upper bounds stored in ``materials.json``. Each case adds five
neutral fillers (no limit, no restricted constituent, no allergen) so the concentrate sums to
100 %; only the listed lines touch a rule. ``expect`` maps rule id -> "pass" / "fail" /
"requirement"; the set of failing rules must match exactly. ``amounts`` pins the rule's
amount (its sum of ratios for the phototoxic rule).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ml.recipe.formula import Formula, Ingredient

FILLERS = (("dihydromyrcenol", "top"), ("tetrahydrolinalool", "top"), ("hedione", "heart"),
           ("phenylethyl-alcohol", "heart"), ("cyclohexyl-salicylate", "base"))  # fmt: skip
DOSES = {"parfum": 20.0, "edp": 15.0, "edt": 10.0, "edc": 4.0}
POSITION = {}  # material id -> position, for lines that give none (filled from the KB)


@dataclass(frozen=True)
class Case:
    name: str
    lines: tuple[tuple[str, float], ...]
    expect: dict[str, str]
    concentration: str = "edp"
    product_type: str = ""
    product_category: str = "4"
    amounts: dict[str, float] = field(default_factory=dict)
    violations: frozenset[str] = frozenset()  # non-rule violation codes expected
    labelled: dict[str, bool] = field(default_factory=dict)  # allergen name -> labelled?

    @property
    def valid(self) -> bool:
        return "fail" not in self.expect.values() and not self.violations

    def formula(self, positions: dict[str, str]) -> Formula:
        used = sum(p for _, p in self.lines)
        fill = round(100.0 - used, 4)
        share = round(fill / len(FILLERS), 4)
        pcts = [share] * (len(FILLERS) - 1) + [round(fill - share * (len(FILLERS) - 1), 4)]
        ingredients = [Ingredient(m, m, p, positions[m]) for m, p in self.lines]
        ingredients += [Ingredient(m, m, p, pos) for (m, pos), p in zip(FILLERS, pcts, strict=True)]
        return Formula("Golden", self.name, self.concentration, DOSES[self.concentration],
                       tuple(ingredients), self.product_category, self.product_type)


P, F, R = "pass", "fail", "requirement"
ME_IFRA, ME_EU = "ifra-100-methyl-eugenol", "eu-annex-iii-102-methyl-eugenol"
PHOTO = "ifra-phototoxic-sum"

CASES = [
    # --- restricted constituents of naturals ---------------------------------------------
    # Tarragon 4 % in an EdP (15 %): estragole 80 % -> 4 x 0.80 x 0.15 = 0.48 % vs 0.014 %
    # (ratio 34.3): fails. Methyl eugenol 1.8 % -> 0.0108 %: under IFRA's 0.011 % but over
    # the EU fine-fragrance cap of 0.01 %.
    Case("tarragon 4 % EdP", (("tarragon-oil", 4.0),),
         {"ifra-099-estragole": F, ME_IFRA: P, ME_EU: F},
         amounts={"ifra-099-estragole": 0.48, ME_IFRA: 0.0108}),
    # Tarragon 0.05 %: estragole 0.05 x 0.8 x 0.15 = 0.006 % (ratio 0.43): passes.
    Case("tarragon 0.05 % EdP", (("tarragon-oil", 0.05),),
         {"ifra-099-estragole": P, ME_IFRA: P, ME_EU: P}, amounts={"ifra-099-estragole": 0.006}),
    # Basil 1 %: estragole 15 % -> 0.0225 % > 0.014 %; methyl eugenol 3 % -> 0.0045 % passes
    # both; eugenol 10 % -> 0.015 % vs 2.5 % passes.
    Case("basil 1 % EdP", (("basil-oil", 1.0),),
         {"ifra-099-estragole": F, ME_IFRA: P, ME_EU: P, "IFRA_STD_035:eugenol": P},
         amounts={"ifra-099-estragole": 0.0225, ME_IFRA: 0.0045}),
    # Virginia cedarwood 30 %: cedrene 40 % -> 30 x 0.4 x 0.15 = 1.8 % > 1.5 % (ratio 1.2).
    Case("Virginia cedarwood 30 % EdP", (("cedarwood-virginia-oil", 30.0),),
         {"ifra-197-cedrene": F}, amounts={"ifra-197-cedrene": 1.8}),
    # 20 % -> 1.2 % (ratio 0.8): passes.
    Case("Virginia cedarwood 20 % EdP", (("cedarwood-virginia-oil", 20.0),),
         {"ifra-197-cedrene": P}, amounts={"ifra-197-cedrene": 1.2}),
    # Nutmeg 3 %: safrole 3 % -> 3 x 0.03 x 0.15 = 0.0135 % > 0.01 % (natural contribution
    # limit); methyl eugenol 1.2 % -> 0.0054 % passes IFRA and EU.
    Case("nutmeg 3 % EdP", (("nutmeg-oil", 3.0),),
         {"ifra-179-safrole": F, ME_IFRA: P, ME_EU: P}, amounts={"ifra-179-safrole": 0.0135}),
    # Nutmeg 1 %: safrole 0.0045 %: passes.
    Case("nutmeg 1 % EdP", (("nutmeg-oil", 1.0),),
         {"ifra-179-safrole": P, ME_IFRA: P}, amounts={"ifra-179-safrole": 0.0045}),
    # Cedar leaf (thuja) 15 %: thujone 65 % -> 1.4625 % > 1.4 %.
    Case("cedar leaf 15 % EdP", (("cedar-leaf-oil", 15.0),),
         {"ifra-102-thujone": F}, amounts={"ifra-102-thujone": 1.4625}),
    # Sage 2 %: thujone 45 % -> 0.135 %: passes.
    Case("sage 2 % EdP", (("sage-oil", 2.0),), {"ifra-102-thujone": P},
         amounts={"ifra-102-thujone": 0.135}),
    # Mandarin 15 % in a parfum (20 %): methyl N-methylanthranilate 0.8 % -> 0.024 % vs 0.1 %.
    Case("mandarin 15 % parfum", (("mandarin-oil", 15.0),), {"ifra-094-mnma": P},
         concentration="parfum", amounts={"ifra-094-mnma": 0.024}),
    # Lemongrass 3 % (citral 85 % -> 0.3825 %) plus citral 2 % (0.3 %): 0.6825 % > 0.6 %:
    # direct use and constituent summed; each alone passes.
    Case("lemongrass + citral EdP", (("lemongrass-oil", 3.0), ("citral", 2.0)),
         {"IFRA_STD_021:citral": F}, amounts={"IFRA_STD_021:citral": 0.6825}),
    # Clove bud 3 % (eugenol 88 % -> 0.396 %) + eugenol 15 % (2.25 %) = 2.646 % > 2.5 %.
    Case("clove + eugenol EdP", (("clove-bud-oil", 3.0), ("eugenol", 15.0)),
         {"IFRA_STD_035:eugenol": F}, amounts={"IFRA_STD_035:eugenol": 2.646}),
    # Cumin 0.5 %: own phototoxic limit 0.075 / 0.4 (ratio 0.19); cuminaldehyde 45 % ->
    # 0.03375 % vs 0.47 %: passes.
    Case("cumin 0.5 % EdP", (("cumin-oil", 0.5),),
         {"IFRA_STD_090:cumin-oil": P, "IFRA_STD_024:cuminaldehyde": P, PHOTO: P},
         amounts={"IFRA_STD_024:cuminaldehyde": 0.03375, PHOTO: 0.1875}),
    # --- groups --------------------------------------------------------------------------
    # Oakmoss 0.6 % + treemoss 0.6 %: 0.09 % each, 0.18 % together > 0.1 % (one limit for
    # both extracts); each alone would pass.
    Case("oakmoss + treemoss EdP", (("oakmoss-absolute", 0.6), ("treemoss-absolute", 0.6)),
         {"ifra-067-080-mosses": F, "ifra-067-080-moss-spec": R},
         amounts={"ifra-067-080-mosses": 0.18}),
    # Oakmoss alone 0.6 %: 0.09 % (ratio 0.9): passes.
    Case("oakmoss alone EdP", (("oakmoss-absolute", 0.6),),
         {"ifra-067-080-mosses": P, "ifra-067-080-moss-spec": R},
         amounts={"ifra-067-080-mosses": 0.09}),
    # alpha-Damascone 0.2 % (0.03 %) + damascenone 0.1 % (0.015 %) = 0.045 % > 0.043 %:
    # the rose ketones are one group; each alone passes.
    Case("rose ketones over EdP", (("alpha-damascone", 0.2), ("damascenone", 0.1)),
         {"ifra-077-rose-ketones": F}, amounts={"ifra-077-rose-ketones": 0.045}),
    # 0.15 % + 0.1 % beta-damascone: 0.0225 + 0.015 = 0.0375 %: passes.
    Case("rose ketones within EdP", (("alpha-damascone", 0.15), ("beta-damascone", 0.1)),
         {"ifra-077-rose-ketones": P}, amounts={"ifra-077-rose-ketones": 0.0375}),
    # Spearmint 4 % (carvone 75 % -> 0.45 %) + l-carvone 1 % (0.15 %) = 0.6 % > 0.59 %.
    Case("spearmint + carvone EdP", (("spearmint-oil", 4.0), ("l-carvone", 1.0)),
         {"ifra-016-carvone": F}, amounts={"ifra-016-carvone": 0.6}),
    # Spearmint 4 % + l-carvone 0.5 %: 0.45 + 0.075 = 0.525 %: passes.
    Case("spearmint + less carvone EdP", (("spearmint-oil", 4.0), ("l-carvone", 0.5)),
         {"ifra-016-carvone": P}, amounts={"ifra-016-carvone": 0.525}),
    # Ylang-ylang 3 % (0.45 %) + cananga 2 % (0.3 %) = 0.75 % > 0.73 %: one standard.
    Case("ylang + cananga EdP", (("ylang-ylang-oil", 3.0), ("cananga-oil", 2.0)),
         {"ifra-084-ylang-cananga": F}, amounts={"ifra-084-ylang-cananga": 0.75}),
    # --- phototoxicity -------------------------------------------------------------------
    # Bergamot 1 % (0.15/0.4 = 0.375) + lemon 4 % (0.6/2.0 = 0.3) + grapefruit 8.4 %
    # (1.26/4.0 = 0.315): sum of ratios 0.99 <= 1: passes, as does each oil.
    Case("citrus sum 0.99 EdP", (("bergamot-oil", 1.0), ("lemon-oil", 4.0),
                                 ("grapefruit-oil", 8.4)),
         {PHOTO: P, "IFRA_STD_087:bergamot-oil": P, "IFRA_STD_092:lemon-oil": P,
          "IFRA_STD_091:grapefruit-oil": P, "ifra-186-limonene-peroxides": R},
         amounts={PHOTO: 0.99}),
    # The same with grapefruit 8.93 %: 1.3395/4.0 = 0.334875; sum 1.009875 > 1: fails, though
    # every oil is within its own limit.
    Case("citrus sum 1.01 EdP", (("bergamot-oil", 1.0), ("lemon-oil", 4.0),
                                 ("grapefruit-oil", 8.93)),
         {PHOTO: F, "IFRA_STD_087:bergamot-oil": P, "IFRA_STD_092:lemon-oil": P,
          "IFRA_STD_091:grapefruit-oil": P, "ifra-186-limonene-peroxides": R},
         amounts={PHOTO: 1.009875}),
    # The case: bergamot 2 % (0.75), lemon 10 % (0.75), lime 4 % (0.6/0.7 = 0.857),
    # grapefruit 8 % (0.3): each oil passes alone, the sum is 2.657.
    Case("four citrus oils EdP", (("bergamot-oil", 2.0), ("lemon-oil", 10.0),
                                  ("lime-oil-expressed", 4.0), ("grapefruit-oil", 8.0)),
         {PHOTO: F, "IFRA_STD_087:bergamot-oil": P, "IFRA_STD_092:lemon-oil": P,
          "IFRA_STD_093:lime-oil-expressed": P, "IFRA_STD_091:grapefruit-oil": P,
          "ifra-186-limonene-peroxides": R},
         amounts={PHOTO: 0.75 + 0.75 + 0.6 / 0.7 + 0.3}),
    # Expressed bergamot 6 %: 0.9 % > 0.4 % (ratio 2.25), the sum fails with it.
    Case("bergamot 6 % EdP", (("bergamot-oil", 6.0),),
         {"IFRA_STD_087:bergamot-oil": F, PHOTO: F, "ifra-186-limonene-peroxides": R},
         amounts={"IFRA_STD_087:bergamot-oil": 0.9, PHOTO: 2.25}),
    # FCF bergamot 6 %: no expressed-oil limit; certified bergapten 0.002 % -> 6 x 0.00002 x
    # 0.15 = 0.000018 % vs 0.0015 % (ratio 0.012, also its share of the sum); the grade's
    # certificate is a requirement.
    Case("FCF bergamot 6 % EdP", (("bergamot-oil-fcf", 6.0),),
         {"ifra-bergapten": P, PHOTO: P, "fcf-bergamot-grade": R,
          "ifra-186-limonene-peroxides": R},
         amounts={"ifra-bergapten": 0.000018, PHOTO: 0.012}),
    # Cumin 3 %: 0.45 % > 0.4 % (own) and sum 1.125; cuminaldehyde 0.2025 % passes.
    Case("cumin 3 % EdP", (("cumin-oil", 3.0),),
         {"IFRA_STD_090:cumin-oil": F, PHOTO: F, "IFRA_STD_024:cuminaldehyde": P},
         amounts={PHOTO: 1.125, "IFRA_STD_024:cuminaldehyde": 0.2025}),
    # Eau de cologne (4 %, eau de toilette caps): bergamot 8 % -> 0.32 % (ratio 0.8).
    Case("bergamot 8 % EdC", (("bergamot-oil", 8.0),),
         {"IFRA_STD_087:bergamot-oil": P, PHOTO: P, "ifra-186-limonene-peroxides": R},
         concentration="edc", amounts={"IFRA_STD_087:bergamot-oil": 0.32, PHOTO: 0.8}),
    # --- methyl eugenol --------------------------------------------------------------------
    # Pimento 0.67 %: methyl eugenol 13 % -> 0.013065 %: over the 51st Amendment's 0.011 %
    # (the superseded 0.016 % would have passed it) and over the EU 0.01 %.
    Case("pimento 0.67 % EdP (51st value)", (("pimento-berry-oil", 0.67),),
         {ME_IFRA: F, ME_EU: F}, amounts={ME_IFRA: 0.013065}),
    # Pimento 0.54 %: 0.01053 %: passes IFRA (ratio 0.957), fails the EU fine-fragrance cap.
    Case("pimento 0.54 % EdP (EU binds)", (("pimento-berry-oil", 0.54),),
         {ME_IFRA: P, ME_EU: F}, amounts={ME_EU: 0.01053}),
    # Rose oil 1 %: methyl eugenol 3.3 % -> 0.00495 %: passes both.
    Case("rose oil 1 % EdP", (("rose-oil", 1.0),), {ME_IFRA: P, ME_EU: P},
         amounts={ME_EU: 0.00495}),
    # Rose oil 1 % in an EdT (10 %): 0.0033 % vs the EU eau-de-toilette cap 0.004 %: passes.
    Case("rose oil 1 % EdT", (("rose-oil", 1.0),), {ME_IFRA: P, ME_EU: P},
         concentration="edt", amounts={ME_EU: 0.0033}),
    # Rose oil 1.5 % in an EdT: 0.00495 % > 0.004 % (EdT cap) though IFRA's 0.011 % passes.
    Case("rose oil 1.5 % EdT", (("rose-oil", 1.5),), {ME_IFRA: P, ME_EU: F},
         concentration="edt", amounts={ME_EU: 0.00495}),
    # Methyl eugenol added as such (0.02 % -> 0.003 %): within both limits, but the EU allows
    # it only as natural content of essential oils.
    Case("methyl eugenol as such EdP", (("methyl-eugenol", 0.02),),
         {ME_IFRA: P, ME_EU: P, f"{ME_EU}:as-such": F}, amounts={ME_IFRA: 0.003}),
    # --- EU Annex III caps -----------------------------------------------------------------
    # Isoeugenol 0.5 %: 0.075 % passes IFRA's 0.11 % but not the EU cap of 0.02 %.
    Case("isoeugenol 0.5 % EdP", (("isoeugenol", 0.5),),
         {"IFRA_STD_048:isoeugenol": P, "eu-annex-iii-73-isoeugenol": F},
         amounts={"eu-annex-iii-73-isoeugenol": 0.075}),
    # Isoeugenol 0.1 %: 0.015 %: passes both.
    Case("isoeugenol 0.1 % EdP", (("isoeugenol", 0.1),),
         {"IFRA_STD_048:isoeugenol": P, "eu-annex-iii-73-isoeugenol": P},
         amounts={"eu-annex-iii-73-isoeugenol": 0.015}),
    # Musk ketone 6 % in an EdT: 0.6 % > 0.56 % (EU eau-de-toilette cap).
    Case("musk ketone 6 % EdT", (("musk-ketone", 6.0),),
         {"eu-annex-iii-97-musk-ketone": F, "IFRA_STD_189:musk-ketone": R},
         concentration="edt", amounts={"eu-annex-iii-97-musk-ketone": 0.6}),
    # The same 6 % in an EdP (fine fragrance cap 1.4 %): 0.9 %: passes.
    Case("musk ketone 6 % EdP", (("musk-ketone", 6.0),),
         {"eu-annex-iii-97-musk-ketone": P, "IFRA_STD_189:musk-ketone": R},
         amounts={"eu-annex-iii-97-musk-ketone": 0.9}),
    # Musk ketone 8 % in a parfum (20 %): 1.6 % > 1.4 %.
    Case("musk ketone 8 % parfum", (("musk-ketone", 8.0),),
         {"eu-annex-iii-97-musk-ketone": F, "IFRA_STD_189:musk-ketone": R},
         concentration="parfum", amounts={"eu-annex-iii-97-musk-ketone": 1.6}),
    # Methyl 2-octynoate 0.1 %: 0.015 % passes IFRA's 0.047 %, fails the EU 0.01 %.
    Case("methyl 2-octynoate 0.1 % EdP", (("methyl-octine-carbonate", 0.1),),
         {"IFRA_STD_062:methyl-octine-carbonate": P, "eu-annex-iii-89-methyl-2-octynoate": F},
         amounts={"eu-annex-iii-89-methyl-2-octynoate": 0.015}),
    # --- Schiff bases ----------------------------------------------------------------------
    # Aurantiol 5 % releases 56.41 % hydroxycitronellal: 0.423 %; plus hydroxycitronellal 5 %
    # (0.75 %): 1.173 % > the EU cap 1.0 %; under IFRA's 2.1 %.
    Case("aurantiol + hydroxycitronellal EdP", (("aurantiol", 5.0), ("hydroxycitronellal", 5.0)),
         {"IFRA_STD_043:hydroxycitronellal": P, "eu-annex-iii-72-hydroxycitronellal": F},
         amounts={"eu-annex-iii-72-hydroxycitronellal": 0.75 + 5 * 0.5641 * 0.15}),
    # Aurantiol 5 % alone: 0.423075 %: passes both (the Schiff base is still counted).
    Case("aurantiol 5 % EdP", (("aurantiol", 5.0),),
         {"IFRA_STD_043:hydroxycitronellal": P, "eu-annex-iii-72-hydroxycitronellal": P},
         amounts={"IFRA_STD_043:hydroxycitronellal": 5 * 0.5641 * 0.15}),
    # Hydroxycitronellal 6 %: 0.9 %: passes both.
    Case("hydroxycitronellal 6 % EdP", (("hydroxycitronellal", 6.0),),
         {"IFRA_STD_043:hydroxycitronellal": P, "eu-annex-iii-72-hydroxycitronellal": P},
         amounts={"eu-annex-iii-72-hydroxycitronellal": 0.9}),
    # --- prohibitions ----------------------------------------------------------------------
    # Lilial 2 %: banned in the EU (CMR 1B, from 1 March 2022) and prohibited by IFRA since the
    # 49th Amendment (the 1.4 % Cat 4 limit of earlier amendments no longer applies).
    Case("lilial EdP", (("lilial", 2.0),),
         {"eu-annex-ii-lilial": F, "IFRA_STD_015:lilial": F}),
    # Lyral: banned in the EU and prohibited in materials.json's IFRA row.
    Case("lyral EdP", (("lyral", 1.0),), {"eu-annex-ii-hicc": F, "IFRA_STD_044:lyral": F}),
    # Musk xylene: IFRA prohibition.
    Case("musk xylene EdP", (("musk-xylene", 1.0),), {"IFRA_STD_170:musk-xylene": F}),
    # Costus root oil: IFRA prohibition.
    Case("costus root EdP", (("costus-root-oil", 0.5),), {"IFRA_STD_124:costus-root-oil": F}),
    # --- specifications and labelling -----------------------------------------------------
    # Rectified birch tar 1 % in an EdP: 0.15 % of the finished product; at 1 ppb per PAH
    # marker the grade may carry 1e-9 / 0.0015 = 0.67 ppm: a requirement, not a failure.
    Case("birch tar 1 % EdP", (("birch-tar-oil-rectified", 1.0),), {"ifra-114-119-pah": R}),
    # Linalool 0.01 %: 0.0015 % > 0.001 % (leave-on): labelled.
    Case("linalool 0.01 % EdP", (("linalool", 0.01),), {"ifra-187-linalool-peroxides": R},
         labelled={"Linalool": True}),
    # Linalool 0.005 %: 0.00075 %: present, below the threshold, not labelled.
    Case("linalool 0.005 % EdP", (("linalool", 0.005),), {"ifra-187-linalool-peroxides": R},
         labelled={"Linalool": False}),
    # --- a formula that passes everything --------------------------------------------------
    # FCF bergamot 5 % (bergapten 0.000015 %), lemon 2 % (0.3 % / 2.0 = 0.15 of the sum), rose
    # oil 0.5 % (methyl eugenol 0.002475 %), Iso E Super 10 % (1.5 % vs 20 %), oakmoss 0.3 %
    # (0.045 %), alpha-damascone 0.1 % (0.015 %), isoeugenol 0.05 % (0.0075 % vs EU 0.02 %),
    # musk ketone 3 % (0.45 % vs 1.4 %): every rule passes.
    Case("compliant chypre EdP", (("bergamot-oil-fcf", 5.0), ("lemon-oil", 2.0),
                                  ("rose-oil", 0.5), ("iso-e-super", 10.0),
                                  ("oakmoss-absolute", 0.3), ("alpha-damascone", 0.1),
                                  ("isoeugenol", 0.05), ("musk-ketone", 3.0)),
         {PHOTO: P, "ifra-bergapten": P, ME_IFRA: P, ME_EU: P, "IFRA_STD_068:iso-e-super": P,
          "ifra-067-080-mosses": P, "ifra-077-rose-ketones": P, "eu-annex-iii-73-isoeugenol": P,
          "eu-annex-iii-97-musk-ketone": P, "IFRA_STD_048:isoeugenol": P,
          "IFRA_STD_092:lemon-oil": P},
         amounts={PHOTO: 0.15 + 5 * 0.00002 * 0.15 / 0.0015, "ifra-067-080-mosses": 0.045}),
    # --- product context -------------------------------------------------------------------
    # IFRA Category 5A is not modelled: the validator refuses to answer valid.
    Case("category 5A refused", (("rose-oil", 0.5),), {}, product_category="5A",
         violations=frozenset({"product_context"})),
]
