"""Compiled kernels (Cython, built when the package is installed).

* :mod:`~linkstar_funnel._kernels.funnel`: the funnel pass over every entity's attempts;
* :mod:`~linkstar_funnel._kernels.sort`: stage bits, filtering, grouping by entity and time
  order of the pass's input;
* :mod:`~linkstar_funnel._kernels.keys`: factorizing integer id columns (hashing, direct
  addressing).

They are machine code from the moment the package is installed: nothing is compiled on first
use and no cache is written, so read-only installs, containers and short-lived jobs start as
fast as a warm process. Each releases the GIL while it loops: the callers' thread pools run
them on disjoint ranges at once. The Python modules calling them (``_hash_keys``,
``_dense_keys``, ``engines.memory._funnel_*``) keep the thread orchestration.

Examples
--------
>>> import numpy as np
>>> from linkstar_funnel._kernels.keys import first_seen_codes
>>> codes, uniques = first_seen_codes(np.array([7, 5, 7, 9]), 5, 5)
>>> codes.tolist(), uniques.tolist()
([0, 1, 0, 2], [7, 5, 9])
"""

from __future__ import annotations
