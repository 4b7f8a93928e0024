"""Names as compared: normalised, then scored with rapidfuzz.

Normalisation folds case (casefold), strips accents (NFKD, combining marks dropped; `ß`, `ø`, `æ`, `ł`,
`đ` spelled out, since NFKD leaves them), turns punctuation into spaces and sorts the tokens, so
`PUTIN, Vladimir` and `vladimir putin` are one name.

The score of two names is the higher of rapidfuzz's token-sort ratio (typos and transliterations on whole
names) and its token-set ratio, the latter only when the names share at least two tokens: token-set
scores 100 whenever one name's tokens are a subset of the other's, which finds `Vladimir Putin` in
`PUTIN, Vladimir Vladimirovich` but, with a single shared token, would also flag every `John` against
`SMITH, John`.
"""

import re
import unicodedata
from typing import Final

from rapidfuzz import fuzz

SPELLED_OUT: Final = str.maketrans({"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ı": "i"})
NOT_WORD: Final = re.compile(r"[\W_]+")
SUBSET_MIN_SHARED_TOKENS: Final = 2


def normalise(name: str) -> str:
    """`name` folded, unaccented, without punctuation, its tokens sorted and joined by single spaces."""
    folded = name.casefold().translate(SPELLED_OUT)
    bare = "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))
    return " ".join(sorted(NOT_WORD.sub(" ", bare).split()))


def score(query: str, candidate: str) -> float:
    """How alike two normalised names are, 0 to 100 (see the module's docstring for the rule)."""
    best = fuzz.token_sort_ratio(query, candidate)
    if len(set(query.split()) & set(candidate.split())) >= SUBSET_MIN_SHARED_TOKENS:
        best = max(best, fuzz.token_set_ratio(query, candidate))
    return float(best)
