"""Supplier lead-time forecasting: the distribution of each open PO line's delay (P10/P50/P90 and
the probability of arriving after its scheduled date), conditioned on what is known at the
cut-off, with the quoted-lead-time and per-supplier empirical baselines beside it.
"""
