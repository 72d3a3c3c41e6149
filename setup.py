"""Build the compiled kernels (Cython -> C, with the system C compiler).

Everything else about the package is declared in ``pyproject.toml``; this file only lists
the extension modules of :mod:`linkstar_funnel._kernels`, so that ``pip install .`` (and
``pip install -e .``) compiles them once, at install time, and wheels ship them prebuilt.
"""

from __future__ import annotations

import os

from Cython.Build import cythonize
from setuptools import Extension, setup

#: The kernels' signed integer arithmetic wraps on overflow, as numba's did (-fwrapv); no
#: debug information (-g0: a third of the size of the modules).
_FLAGS = [] if os.name == "nt" else ["-O3", "-fwrapv", "-g0"]

extensions = [
    Extension(
        f"linkstar_funnel._kernels.{name}",
        [f"src/linkstar_funnel/_kernels/{name}.pyx"],
        extra_compile_args=_FLAGS,
    )
    for name in ("funnel", "sort", "keys")
]

setup(
    ext_modules=cythonize(extensions, language_level=3),
    # The three modules compile at once (one C compiler per core).
    options={"build_ext": {"parallel": os.cpu_count() or 1}},
)
