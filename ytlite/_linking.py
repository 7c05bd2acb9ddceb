"""Linked viewers: traits kept equal between several viewers in the browser
(``lite/js/link.js``), so dragging one moves the others with no kernel."""

from __future__ import annotations

import pathlib

import anywidget
import ipywidgets
import traitlets as t

from .viewer import SliceViewer

VIEW_TRAITS = ("view",)
COLORMAP_TRAITS = ("cmap",)
LIMIT_TRAITS = ("scale", "vmin", "vmax", "linthresh")


def link(*viewers, view=True, colormap=False, limits=False):
    """Link viewers in the browser: panning/zooming one moves the others
    (``view``), and optionally the colormap and the colour scale/limits.
    Nothing goes through the kernel while you drag. Returns the link (a
    widget; ``.close()`` unlinks)::

        rho, temp = ds.plot("density"), ds.plot("temperature")
        ytlite.link(rho, temp)
    """
    if len(viewers) < 2 or not all(isinstance(v, SliceViewer) for v in viewers):
        raise TypeError(f"link needs two or more SliceViewers, got {[type(v).__name__ for v in viewers]}")
    names = [*(VIEW_TRAITS if view else ()), *(COLORMAP_TRAITS if colormap else ()),
             *(LIMIT_TRAITS if limits else ())]
    if not names:
        raise ValueError("nothing to link: set view, colormap or limits to True")
    for follower in viewers[1:]:  # start equal: the first viewer leads
        with follower.hold_trait_notifications():
            for name in names:
                setattr(follower, name, getattr(viewers[0], name))
    return ViewerLink(viewers=list(viewers), names=names)


class ViewerLink(anywidget.AnyWidget):
    """Keeps traits of several viewers equal, in the browser (see :func:`link`)."""

    _esm = pathlib.Path(__file__).parent / "_generated" / "link.js"  # lite/js/link.js, bundled
    viewers = t.List(t.Instance(SliceViewer)).tag(sync=True, **ipywidgets.widget_serialization)
    names = t.List(t.Unicode()).tag(sync=True)
