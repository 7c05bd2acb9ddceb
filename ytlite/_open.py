"""The top of ytlite's data layer: what a name or an object opens as.

``load(path)`` gives a :class:`~ytlite.dataset.SliceDataset` (one file) or a
:class:`~ytlite.stack.SliceStack` (a stack folder or its ``stack.json``);
``viewable(obj)`` turns what a viewer is given (a path, a yt object, a
dataset or a stack) into a dataset or a stack. The viewer depends only on the
dataset protocol (``ytlite._viewable``), which this module hands ``viewable``
to when ytlite is imported: so dataset, stack, from_yt and viewer import one
another in one direction only (tests/test_import_graph.py checks it).
"""

from __future__ import annotations

import os

from . import _viewable
from .dataset import read_dataset
from .from_yt import as_slice_dataset
from .stack import SliceStack, is_stack


def load(filename):
    """Load a yt slice or projection saved with ``save_as_dataset`` (a :class:`SliceDataset`),
    or a depth stack: a folder holding a ``stack.json``, or that ``stack.json``
    (a :class:`ytlite.stack.SliceStack`).

    Works in the browser (Pyodide, no numpy) and on CPython (needs h5py).
    Reads the metadata and checks the cells now; the values are read when
    Python first asks for them (see ``ytlite.dataset``).
    """
    if is_stack(filename):
        return SliceStack(filename)
    return read_dataset(filename)


def viewable(obj, field=None, fields=None):
    """A dataset or stack for the viewer: a path is loaded, a yt object
    converted (``ytlite.from_yt``), a dataset or stack given back as it is."""
    if isinstance(obj, (str, os.PathLike)):
        return load(obj)
    return as_slice_dataset(obj, field, fields)


_viewable.set_opener(viewable)
