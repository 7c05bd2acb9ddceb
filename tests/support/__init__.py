"""Helpers shared by the tests (and bench/): not tests themselves.

paths.py: where the repository, the built site, the demo and real data are.
browser.py: headless Chromium's path and arguments, the quiet static server.
notebook.py: NotebookRun, a notebook of the built site run in a browser page.
viewer.py: reading and driving a ytlite viewer on such a page.
oracle.py: the image yt + matplotlib make of a view, compared with a canvas.
shading_oracle.py: which colours matplotlib may give a value (on any CPU).
*.mjs: node runners the tests call (conventions, slice files, the wasm pixelizer).
"""
