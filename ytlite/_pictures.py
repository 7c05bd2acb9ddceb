"""The viewer's pictures outside the live page: PNG files drawn by the
browser (``save_png``), and the PNG kept in the notebook's output so a saved
notebook shows the last view where no widget runs."""

from __future__ import annotations

import base64
import pathlib
import uuid

import traitlets as t


class KeptPictures(t.HasTraits):
    """Mixin for the viewer widget. The page sets ``_snapshot`` (a PNG with
    title, axes and colorbar) whenever the view rests, and answers ``png``
    requests with the file's bytes; a failed export is written to the
    widget's ``error`` trait."""

    _snapshot = t.Bytes(b"").tag(sync=True)

    def __init__(self, **kwargs):
        self._display_id = None  # the output this widget was displayed in
        self._png_requests = {}  # request id -> path to write
        super().__init__(**kwargs)

    def save_png(self, path, axes=True):
        """Write the current view as a PNG: with title, axes and colorbar
        (``axes=True``) or the image alone (``axes=False``).

        The browser draws the picture. With axes, the file is written at once
        from the last picture the browser kept (it keeps one whenever the view
        rests); either way the browser is asked for the view as it is now and
        the file is (re)written when it answers, once this cell has finished.
        Returns the path."""
        path = pathlib.Path(path)
        if self._display_id is None and not self._snapshot:
            raise RuntimeError("the viewer has not been drawn yet: display it (and let it draw) first")
        if axes and self._snapshot:
            path.write_bytes(self._snapshot)
        request = uuid.uuid4().hex
        self._png_requests[request] = path
        self.send({"type": "png", "axes": bool(axes), "id": request})
        return path

    def _on_png(self, content, buffers):
        """The browser's answer to a ``save_png`` request."""
        path = self._png_requests.pop(content.get("id"), None)
        if path is None:
            return
        if content.get("error") or not buffers:
            self.error = f"PNG export failed: {content.get('error', 'no data')}"
            return
        path.write_bytes(bytes(buffers[0]))

    # Saved notebooks keep a picture: the output holds the widget and, once the
    # browser has drawn it, a PNG of the last view (shown where no widget runs).
    def _mimebundle(self):
        bundle = {
            "application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                          "model_id": self.model_id},
            "text/plain": repr(self),
        }
        if self._snapshot:
            bundle["image/png"] = base64.b64encode(self._snapshot).decode("ascii")
        return bundle

    def _ipython_display_(self):
        from IPython.display import display

        self._display_id = self._display_id or uuid.uuid4().hex
        display(self._mimebundle(), raw=True, display_id=self._display_id)

    @t.observe("_snapshot")
    def _snapshot_changed(self, change):
        if self._display_id and change["new"]:
            from IPython.display import update_display

            update_display(self._mimebundle(), raw=True, display_id=self._display_id)
