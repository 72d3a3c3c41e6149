"""Sphinx configuration: API reference generated from numpydoc docstrings."""

from __future__ import annotations

import os

import linkstar_funnel

project = "linkstar_funnel"
author = "linkstar_funnel maintainers"
copyright = "2026, linkstar_funnel maintainers"
release = linkstar_funnel.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "sphinx.ext.doctest",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
myst_enable_extensions = ["colon_fence", "deflist"]

autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": False}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_preprocess_types = False

# Type hints name library types Sphinx cannot always resolve (numpy.typing aliases,
# matplotlib Axes, attrs internals): do not fail the build on a missing cross-reference.
nitpicky = False
suppress_warnings = ["ref.python"]

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "pandas": ("https://pandas.pydata.org/docs/", None),
}
# The docs build must work offline (CI has no internet): intersphinx inventories are only
# fetched when LINKSTAR_DOCS_ONLINE is set.
if not os.environ.get("LINKSTAR_DOCS_ONLINE"):
    intersphinx_mapping = {}

html_theme = "furo"
html_title = f"linkstar_funnel {release}"
