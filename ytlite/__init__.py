"""ytlite: explore yt slices and projections of AMR simulations in the browser.

>>> import ytlite
>>> ds = ytlite.load("data/amr_demo_slice.h5")   # a yt save_as_dataset file
>>> ds.plot("density")                            # interactive, drawn by Rust/wasm
>>> stack = ytlite.load("data/real/ramses_blast3d_z_stack")   # a depth stack (folder with stack.json)

Pure Python: in JupyterLite (Pyodide) it needs no numpy; HDF5 reading and
pixelizing run as WebAssembly shipped inside this package.
"""

from ._runtime import ready, start as _start_runtime
from .colormaps import DEFAULT_COLORMAP, colormap_names
from ._open import load
from .dataset import SliceDataset
from .pixelizer import PixelizedImage, pixelize
from .stack import SliceStack

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_COLORMAP", "PixelizedImage", "SliceDataset", "SliceStack", "SliceViewer",
    "colormap_names", "link", "load", "pixelize", "ready",
]


def __getattr__(name):
    # The widget pulls in anywidget/ipywidgets: import it only when used.
    if name == "SliceViewer":
        from .viewer import SliceViewer

        return SliceViewer
    if name == "link":
        from ._linking import link

        return link
    raise AttributeError(f"module 'ytlite' has no attribute {name!r}")


# In the browser, start loading the WebAssembly runtime now so that it is ready
# by the time the next cell runs (see ytlite._runtime).
_start_runtime()
