"""The viewer's Python side of its conversation with the page, on CPython with
no browser: what the page's messages do to the traits, what goes back, the
PNG and drop handlers, the fallback to arrays. (The browser's side of the
same messages: tests/test_viewer_browser.py.)"""

from __future__ import annotations

import json

import pytest

import ytlite


class Recorder:
    """Stands in for the widget's comm: keeps every message sent to the page."""

    def __init__(self, viewer):
        self.messages = []
        viewer.comm.send = lambda data=None, metadata=None, buffers=None: self.messages.append((data, buffers))

    def updates(self):
        """{trait: value} of every state update sent, merged."""
        out = {}
        for data, _ in self.messages:
            if data.get("method") == "update":
                out.update(data["state"])
        return out

    def custom(self):
        return [data["content"] for data, _ in self.messages if data.get("method") == "custom"]


def from_page(viewer, state, buffers=()):
    binary = [k for k, v in state.items() if isinstance(v, bytes)]
    plain = {k: v for k, v in state.items() if k not in binary}
    viewer._on_front_end_message(viewer, {"type": "state", "json": json.dumps(plain), "binary": binary},
                                 [state[k] for k in binary])


@pytest.fixture
def viewer(demo_slice):
    return demo_slice.plot("density")


def test_the_pages_values_are_applied_and_not_echoed(viewer):
    sent = Recorder(viewer)
    from_page(viewer, {"view": [0.1, 0.3, 0.2, 0.4], "resolution": 300, "cmap": "viridis", "_snapshot": b"\x89PNG"})
    assert viewer.view == [0.1, 0.3, 0.2, 0.4] and viewer.resolution == 300 and viewer.cmap == "viridis"
    assert viewer._snapshot == b"\x89PNG"
    assert sent.updates() == {}  # nothing goes back to the page that set it
    viewer.cmap = "magma"  # a change made in Python does go
    assert sent.updates() == {"cmap": "magma"}


def test_a_refused_value_is_sent_back_and_the_good_ones_stay(viewer):
    sent = Recorder(viewer)
    old = viewer.cmap
    from_page(viewer, {"view": [0.1, 0.3, 0.2, 0.4], "cmap": "no-such-map",
                       "depth": 5, "linthresh": -1.0})
    assert viewer.view == [0.1, 0.3, 0.2, 0.4]  # applied although others in the message were refused
    assert viewer.cmap == old and viewer.depth == 0 and viewer.linthresh is None
    back = sent.updates()
    assert back["cmap"] == old and back["depth"] == 0 and back["linthresh"] is None
    assert "view" not in back


def test_the_page_cannot_set_what_is_not_its_own(viewer):
    cells = viewer.px
    from_page(viewer, {"px": b"\0" * 8, "domain": [0, 1, 0, 1], "fields": {}})
    assert viewer.px == cells and viewer.domain != [0, 1, 0, 1] and viewer.fields


def test_unknown_or_malformed_messages_change_nothing(viewer):
    sent = Recorder(viewer)
    before = dict(view=viewer.view, cmap=viewer.cmap)
    for content in (None, "text", {}, {"type": "nonsense"}, {"type": "png", "id": "not-asked-for"}):
        viewer._on_front_end_message(viewer, content, [])
    assert dict(view=viewer.view, cmap=viewer.cmap) == before and sent.messages == [] and viewer.error == ""


def test_save_png_writes_what_the_page_answers(viewer, tmp_path):
    sent = Recorder(viewer)
    with pytest.raises(RuntimeError, match="not been drawn yet"):
        viewer.save_png(tmp_path / "early.png")
    viewer._snapshot = b"kept picture"
    path = viewer.save_png(tmp_path / "view.png")
    assert path.read_bytes() == b"kept picture"  # at once, from the picture the page kept
    (request,) = [c for c in sent.custom() if c["type"] == "png"]
    assert request["axes"] is True
    viewer._on_front_end_message(viewer, {"type": "png", "id": request["id"]}, [b"fresh picture"])
    assert path.read_bytes() == b"fresh picture"
    bare = viewer.save_png(tmp_path / "bare.png", axes=False)
    assert not bare.exists()  # no kept picture without axes: only the page's answer writes it
    request = sent.custom()[-1]
    viewer._on_front_end_message(viewer, {"type": "png", "id": request["id"], "error": "canvas tainted"}, [])
    assert not bare.exists() and viewer.error == "PNG export failed: canvas tainted"


def test_the_saved_notebook_keeps_the_last_picture(viewer):
    assert "image/png" not in viewer._mimebundle()
    viewer._snapshot = b"\x89PNG picture"
    bundle = viewer._mimebundle()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == viewer.model_id
    assert bundle["image/png"] == "iVBORyBwaWN0dXJl"  # base64 of the bytes
    assert bundle["text/plain"].startswith("<ytlite SliceViewer of 'density'")


def test_a_dropped_file_is_kept_beside_the_notebook_and_shown(viewer, demo_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sent = Recorder(viewer)
    proj = (demo_dir / "amr_demo_proj.h5").read_bytes()
    (tmp_path / "mine.h5").write_bytes(b"someone else's file")
    viewer._on_front_end_message(viewer, {"type": "open", "name": "../../elsewhere/mine.h5"}, [proj])
    assert (tmp_path / "mine.h5").read_bytes() == b"someone else's file"  # not overwritten
    assert (tmp_path / "mine-1.h5").read_bytes() == proj and not (tmp_path.parent / "elsewhere").exists()
    assert viewer.info["name"] == "mine-1.h5" and viewer.info["kind"] == "projection"
    assert [c["type"] for c in sent.custom()] == ["opening", "reload"]
    viewer._on_front_end_message(viewer, {"type": "open", "name": "mine-1.h5"}, [proj])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine-1.h5", "mine.h5"]  # the same file again: kept once


@pytest.mark.parametrize("name, data, says", [
    ("broken.h5", b"not hdf5 at all", "broken.h5"),
    ("", b"x", "no file arrived"),
    ("empty.h5", None, "no file arrived"),
])
def test_a_bad_drop_says_why_and_keeps_the_view(viewer, tmp_path, monkeypatch, name, data, says):
    monkeypatch.chdir(tmp_path)
    sent = Recorder(viewer)
    before = (viewer.info, viewer.view, viewer.field)
    viewer._on_front_end_message(viewer, {"type": "open", "name": name}, [] if data is None else [data])
    (error,) = [c for c in sent.custom() if c["type"] == "open-error"]
    assert says in error["message"]
    assert (viewer.info, viewer.view, viewer.field) == before


def test_when_the_page_cannot_read_the_file_it_gets_the_arrays(viewer):
    viewer._source = {"files": [{"path": "data/x.h5", "name": "x.h5", "size": 1, "mtime_ms": 0}]}
    viewer.px = viewer.py = viewer.pdx = viewer.pdy = b""
    sent = Recorder(viewer)
    viewer._on_front_end_message(viewer, {"type": "source-failed", "message": "changed since Python read it"}, [])
    assert viewer.source_error == "changed since Python read it" and viewer._source == {}
    ds = viewer._ds
    assert viewer.px == ds.px.tobytes() and viewer.pdy == ds.pdy.tobytes()
    assert viewer.fields["density"] == ds["density"].tobytes()
    assert sent.custom()[-1] == {"type": "reload"}


def test_every_viewer_shares_one_copy_of_the_assets(demo_slice):
    a, b = demo_slice.plot("density"), demo_slice.plot("temperature")
    assert a._assets is b._assets and len(a._assets.pixelizer_wasm) > 10_000
    assert "cmyt.arbre" in a._assets.colormap_index["colormaps"]


def test_link(demo_slice):
    a, b = demo_slice.plot("density"), demo_slice.plot("temperature")
    a.zoom(2)
    link = ytlite.link(a, b, colormap=True)
    assert b.view == a.view and link.names == ["view", "cmap"] and link.viewers == [a, b]
    with pytest.raises(TypeError, match="two or more SliceViewers"):
        ytlite.link(a)
    with pytest.raises(ValueError, match="nothing to link"):
        ytlite.link(a, b, view=False)
