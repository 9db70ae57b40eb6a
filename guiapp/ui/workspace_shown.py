"""Reading the session store: the set the direction list shows (its directions, each
one's alpha, layer range, label and units) and the workspace as the renderer takes it.

A mixin of :class:`guiapp.ui.session_store.SessionStore`, which holds ``workspace`` and
``model_info``; kept apart so the store's file is about changes and their signals.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from guiapp.core.types import DirectionSet, Edit, LayerRange
from guiapp.core.workspace import ActiveEdit, Workspace

if TYPE_CHECKING:
    from guiapp.core.types import ModelInfo

DEFAULT_ALPHA_LIMIT = 5.0


class ShownSet:
    """The shown set's values, read from the workspace (edits hold alphas and ranges)."""

    workspace: Workspace
    model_info: ModelInfo | None

    @property
    def num_ws(self) -> int:
        return self.model_info.num_ws if self.model_info else 1

    @property
    def set_id(self) -> int | None:
        """The id of the shown set (None: no set)."""
        return self.workspace.selected

    _shown_memo: tuple[Workspace, DirectionSet | None] | None = None

    @property
    def direction_set(self) -> DirectionSet | None:
        """The shown set; found once per workspace (rows ask for it many times when a set
        arrives, and finding it walks the workspace's sets)."""
        ws, memo = self.workspace, self._shown_memo
        if memo is not None and memo[0] is ws:
            return memo[1]
        named = ws.selected_set
        ds = named.directions if named is not None else None
        self._shown_memo = (ws, ds)
        return ds

    def __len__(self) -> int:
        ds = self.direction_set
        return len(ds) if ds is not None else 0

    def _edit(self, index: int) -> Edit | None:
        sid = self.set_id
        return None if sid is None else self.workspace.edit_of(sid, index)

    def alpha(self, index: int) -> float:
        edit = self._edit(index)
        return edit.alpha if edit is not None else 0.0

    def layers(self, index: int) -> LayerRange:
        edit = self._edit(index)
        if edit is not None and edit.layers is not None:
            return edit.layers
        return self.default_layers(index)

    def label(self, index: int) -> str:
        assert self.direction_set is not None
        return self.direction_set.directions[index].label

    def default_layers(self, index: int) -> LayerRange:
        assert self.direction_set is not None
        return self._fitting(self.direction_set.directions[index].default_layers)

    def _fitting(self, layers: LayerRange | None) -> LayerRange:
        """``layers`` if this model has them, else all of its layers."""
        fits = layers is not None and layers.stop <= self.num_ws
        return layers if fits else LayerRange.all(self.num_ws)  # type: ignore[return-value]

    def alpha_limit(self, index: int) -> float:
        """Slider range +-limit in the direction's own units."""
        assert self.direction_set is not None
        return float(self.direction_set.params.get("alpha_limit", DEFAULT_ALPHA_LIMIT))

    def unit_text(self, index: int) -> str:
        """What one slider unit means, for tooltips."""
        assert self.direction_set is not None
        d = self.direction_set.directions[index]
        space = self.direction_set.space
        if self.direction_set.method == "ganspace":
            return (f"1 unit = 1 standard deviation of this component "
                    f"(a step of {d.unit_scale:.3g} in {space})")
        return f"1 unit = a step of length {d.unit_scale:.3g} along a unit vector in {space}"

    def edits(self) -> tuple[Edit, ...]:
        """The shown set's edits that move the image, each on its layer range."""
        return tuple(Edit(i, self.alpha(i), self.layers(i)) for i in self._moved())

    def _moved(self) -> list[int]:
        sid = self.set_id
        if sid is None:
            return []
        return sorted(e.direction_index for e in self.workspace.edits_for(sid) if e.alpha)

    def active_edits(self) -> tuple[ActiveEdit, ...]:
        """Every edit that moves the image, of every set (the "active edits" summary)."""
        return self.workspace.active_edits()

    def render_workspace(self) -> Workspace:
        """The workspace as the renderer takes it: each edit on its layer range (the
        direction's default where the user chose none)."""
        ws = self.workspace
        edits = []
        for e in ws.edits:
            if e.edit.alpha == 0:
                continue
            d = ws.get(e.set_id).directions.direction(e.edit.direction_index)
            layers = e.edit.layers or self._fitting(d.default_layers)
            edits.append(replace(e, edit=replace(e.edit, layers=layers)))
        return replace(ws, edits=tuple(edits))
