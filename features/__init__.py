"""Feature and label pipelines: pure, vectorized functions over the canonical tables (time-series
lags and rolling statistics, point-in-time joins, labels), plus the Feast repository definitions
that serve the same features online. Nothing here reads files or settings; callers pass frames in.
"""
