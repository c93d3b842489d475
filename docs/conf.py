"""Sphinx configuration of the rendered site (./dev.sh site; docs/build.py stages the sources).

MyST-NB renders the committed, executed notebooks without running them. Everything a page loads
comes from the site itself: the Furo theme's files, MathJax 3 from sphinx-mathjax-offline, and the
explorers as pictures (docs/build.py), so no widget manager is needed, from a CDN or elsewhere.
"""

project = "vaebook"
author = "the vaebook authors"
html_title = "vaebook: the Variational Autoencoder, derived, built and tested"
extensions = ["myst_nb", "sphinx-mathjax-offline"]
nb_execution_mode = "off"  # the committed outputs, as they are
nb_ipywidgets_js = {}  # MyST-NB would add a widget manager from a CDN; the explorers are pictures here
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
html_theme = "furo"
html_static_path = []
html_show_sourcelink = False
html_copy_source = False
exclude_patterns = ["_build"]
