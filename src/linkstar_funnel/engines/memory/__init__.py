"""The in-memory backend: kernels over numpy arrays validated from pandas frames.

One module per capability (``funnel``, ``kpi``, ``cohort``, ``journeys``), each exposing the
function the ``"pandas"`` backend registers for it.
"""
