"""The Ibis backend: each capability compiled to portable SQL (window functions and group
aggregates), run where the data lives (DuckDB, Spark, any Ibis backend).

One module per capability (``_funnel``, ``_kpi``, ``_cohort``, ``_journeys``), each
returning the same output record as the in-memory backend; ``_tables`` wraps the inputs.
Importing this package does not import Ibis.
"""
