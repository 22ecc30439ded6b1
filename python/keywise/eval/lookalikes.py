"""Look-alike, sound-alike drug pairs that autocorrect must never swap (ISMP's list). The safety
guard is general (built from the lexicon's DRUG flag); these pairs only test and benchmark it."""

LOOK_ALIKE_PAIRS: list[tuple[str, str]] = [
    ("hydroxyzine", "hydralazine"),
    ("celebrex", "celexa"),
    ("celebrex", "cerebyx"),
    ("celexa", "cerebyx"),
    ("clonidine", "clonazepam"),
    ("humalog", "humulin"),
    ("glipizide", "glyburide"),
    ("prednisone", "prednisolone"),
]
