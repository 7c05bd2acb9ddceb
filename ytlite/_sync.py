"""The viewer's side of its conversation with the browser.

Traits go to the page as usual (anywidget). What the user changes in the page
(toolbar, gestures, what it drew) comes back as one ``{"type": "state"}``
message per change burst, not as ordinary trait updates, so that:

* values the browser set are not echoed back to it (a stale echo would undo
  what the user did since): :meth:`FrontEndSync._should_send_property` holds
  them back while they are applied;
* a value Python refuses (a trait validator raises) is sent back as Python
  holds it, so the page shows the truth;
* only the traits named in ``FRONT_END_STATE`` can be set from the page.

Every other message type goes to the method named in ``FRONT_END_MESSAGES``.
"""

from __future__ import annotations

import json

import traitlets as t


class FrontEndSync:
    """Mixin for an ipywidgets widget: applies the browser's ``state``
    messages and routes its other messages (see the module docstring)."""

    #: the traits the browser may change
    FRONT_END_STATE: frozenset = frozenset()
    #: {message type: name of the method taking (content, buffers)}
    FRONT_END_MESSAGES: dict = {}

    _from_front_end = frozenset()  # the traits being set from a browser message now

    def _on_front_end_message(self, _widget, content, buffers):
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "state":
            self._apply_front_end_state(json.loads(content.get("json", "{}")), list(content.get("binary", [])), buffers)
        elif kind in self.FRONT_END_MESSAGES:
            getattr(self, self.FRONT_END_MESSAGES[kind])(content, buffers)

    def _apply_front_end_state(self, state, binary, buffers):
        state = dict(state)
        for name, buf in zip(binary, buffers):
            state[name] = bytes(buf)
        state = {k: v for k, v in state.items() if k in self.FRONT_END_STATE}
        # Saved and restored, not cleared: an observer below may run another
        # message's handler.
        outer = self._from_front_end
        self._from_front_end = outer | set(state)
        rejected = []
        try:
            # One trait at a time, not under hold_trait_notifications: held,
            # a validator's refusal surfaces only at the end and undoes every
            # value of the message, the good ones too.
            for name, value in state.items():
                try:
                    setattr(self, name, value)
                except t.TraitError:
                    rejected.append(name)
        finally:
            self._from_front_end = outer
        for name in rejected:  # the browser shows what Python holds
            self.send_state(name)

    def _should_send_property(self, key, value):
        if key in self._from_front_end:
            return False
        return super()._should_send_property(key, value)
