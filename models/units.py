"""The model's money unit and the conversions every report uses.

Masses are tonnes and prices currency per kg, so one tonne at one currency/kg is one
thousand currency units: every cost inside the models is in **thousands** of currency
(k-currency).  Capital inputs are in currency millions and enter the model times
:data:`K_PER_M`.  Reports show currency millions: divide model money by :data:`K_PER_M`
(:func:`to_millions`).
"""
from __future__ import annotations

K_PER_M = 1000.0            # thousands of currency per million
CURRENCY_PER_K = 1000.0     # currency per thousand
CURRENCY_PER_M = 1e6        # currency per million
PP_PER_SHARE = 100.0        # a share of 1.0 is 100 percentage points


def to_millions(k_currency):
    """Model money (thousands of currency) in currency millions (numbers or numpy arrays)."""
    return k_currency / K_PER_M


def per_tonne_to_per_kg(k_currency_per_t):
    """k-currency per tonne is currency per kg (the same number); named for the reader."""
    return k_currency_per_t
