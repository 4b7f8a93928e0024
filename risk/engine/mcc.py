"""Merchant category codes (ISO 18245): the table of the codes this platform knows, and the check every code
passes before it is stored on a merchant or named in a rule.

A category is four digits, and only a code in `CATEGORIES` is accepted. The range rules alone (0000-1499
agricultural, 4000-4799 transport, ... 9000-9999 government) would let a mistyped code through as a real
category, and a rule naming a code no merchant can ever carry would silently never match: a merchant and a
rule must speak of the same codes, so one table serves both (the rule file loader refuses a code not in it,
with the file and line). The table is small on purpose: the categories merchants onboarded here sell in, and
the ones the rules single out (gambling, quasi-cash, money transfer, stored value). A new merchant in a
category not listed is one line added here, reviewed like a rule change.
"""

from typing import Final

MCC_LENGTH: Final = 4

CATEGORIES: Final[dict[str, str]] = {
    "0742": "veterinary services",
    "1520": "general contractors, residential and commercial",
    "4111": "local and suburban commuter passenger transport",
    "4121": "taxicabs and limousines",
    "4131": "bus lines",
    "4411": "cruise lines",
    "4511": "airlines and air carriers",
    "4722": "travel agencies and tour operators",
    "4812": "telecommunication equipment and telephone sales",
    "4814": "telecommunication services",
    "4816": "computer network and information services",
    "4829": "wire transfers and money orders",
    "4899": "cable, satellite and other pay television services",
    "4900": "utilities: electric, gas, water, sanitary",
    "5045": "computers, peripherals and software",
    "5311": "department stores",
    "5411": "grocery stores and supermarkets",
    "5499": "miscellaneous food stores",
    "5541": "service stations",
    "5691": "men's and women's clothing stores",
    "5732": "electronics stores",
    "5812": "eating places and restaurants",
    "5814": "fast food restaurants",
    "5815": "digital goods: media",
    "5816": "digital goods: games",
    "5817": "digital goods: applications",
    "5912": "drug stores and pharmacies",
    "5933": "pawn shops",
    "5944": "jewellery, watch, clock and silverware stores",
    "5967": "direct marketing: inbound teleservices",
    "5993": "cigar stores and stands",
    "5999": "miscellaneous and speciality retail stores",
    "6010": "financial institutions: manual cash disbursements",
    "6011": "financial institutions: automated cash disbursements",
    "6012": "financial institutions: merchandise and services",
    "6051": "non-financial institutions: foreign currency, money orders, quasi-cash, crypto",
    "6211": "security brokers and dealers",
    "6300": "insurance sales, underwriting and premiums",
    "6513": "real estate agents and managers: rentals",
    "6540": "non-financial institutions: stored value card purchase and load",
    "7011": "hotels, motels and resorts",
    "7273": "dating services",
    "7299": "miscellaneous personal services",
    "7372": "computer programming, data processing and systems design",
    "7399": "business services",
    "7512": "car rental agencies",
    "7800": "government-owned lotteries",
    "7801": "government-licensed online casinos",
    "7802": "government-licensed horse and dog racing",
    "7832": "motion picture theatres",
    "7994": "video game arcades",
    "7995": "betting: lottery tickets, casino chips, off-track betting, wagers at race tracks",
    "8011": "doctors",
    "8062": "hospitals",
    "8099": "medical services and health practitioners",
    "8220": "colleges and universities",
    "8398": "charitable and social service organisations",
    "8999": "professional services",
    "9311": "tax payments",
    "9399": "government services",
}
"""Code -> the category's name (ISO 18245 / the card schemes' wording, shortened)."""


class UnknownCategory(ValueError):
    """Not four digits, or not a category in `CATEGORIES`; the message says which."""


def check_mcc(value: str) -> str:
    """`value` if it is a merchant category code in the table; UnknownCategory saying why not otherwise."""
    if len(value) != MCC_LENGTH or not value.isascii() or not value.isdigit():
        raise UnknownCategory(f"{value!r} is not a merchant category code: ISO 18245 codes are 4 digits")
    if value not in CATEGORIES:
        raise UnknownCategory(
            f"{value!r} is not a merchant category this platform knows (risk/engine/mcc.py lists them)"
        )
    return value
