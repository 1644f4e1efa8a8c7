"""Holm adjustment equals statsmodels' multipletests(method="holm")."""

import random

from statsmodels.stats.multitest import multipletests

from growapp.services.analysis import holm


def test_holm_matches_statsmodels():
    rng = random.Random(5)
    for n in (1, 2, 3, 5, 8):
        for _ in range(50):
            p = [rng.random() ** 3 for _ in range(n)]
            if rng.random() < 0.2:
                p[0] = p[-1]  # ties
            expected = multipletests(p, method="holm")[1]
            assert max(abs(a - b) for a, b in zip(holm(p), expected, strict=True)) < 1e-15
