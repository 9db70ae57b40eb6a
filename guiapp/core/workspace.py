"""A workspace of direction sets: every method run adds a set, edits combine across sets.

A :class:`Workspace` is plain, frozen data (numpy only, no torch): an ordered tuple of
:class:`NamedSet` (a stable ``set_id``, a name, a :class:`DirectionSet` that holds the
labels), the edits across sets (:class:`SetEdit`: a set id plus an :class:`Edit`), and the
selected set. Set ids are never reused, so removing a set does not renumber the edits of
the others. Every change is a method that returns a new workspace (undo keeps the old one).

An edit at alpha 0 is kept when it carries a layer range (the direction's chosen layers);
:meth:`Workspace.active_edits` lists the ones that move the image.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from guiapp.core.types import DirectionSet, Edit, LayerRange, ProjectedLatent, Session

METHOD_NAMES = {"sefa": "SeFa", "ganspace": "GANSpace", "latentclr": "LatentCLR"}
Face = int | ProjectedLatent
"""The face a session edits: a seed, or a latent (a projected photo, an imported latent)."""


def _count(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else (
        f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n))


def _layers_text(layers: Any, num_ws: int | None) -> str:
    """ "coarse layers" when ``layers`` ([start, stop]) is a preset for ``num_ws``, else
    "layers 0-3"; "" for None or something else."""
    if not (isinstance(layers, list | tuple) and len(layers) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in layers)):
        return ""
    if num_ws:
        from guiapp.core.layers import PRESETS, layer_preset

        for preset in PRESETS[1:]:
            if layer_preset(preset, num_ws) == LayerRange(layers[0], max(layers[1],
                                                                         layers[0] + 1)):
                return f"{preset} layers"
    return f"layers {layers[0]}-{layers[1] - 1}"


def set_name(method: str, params: Mapping[str, Any], space: str = "",
             num_ws: int | None = None) -> str:
    """A short name from the method and its settings: "SeFa · coarse layers",
    "GANSpace · 1M in w", "LatentCLR · linear" (``num_ws`` names layer presets)."""
    title = METHOD_NAMES.get(method, method or "Directions")
    parts = []
    if method == "ganspace":
        n = params.get("samples")
        where = params.get("layer") or space
        count = _count(n) if isinstance(n, int) and not isinstance(n, bool) else ""
        parts.append(f"{count} in {where}" if count and where else count or
                     (f"in {where}" if where else ""))
    elif method == "latentclr":
        parts.append(str(params.get("model_type") or ""))
    layers = _layers_text(params.get("layers"), num_ws)
    if layers and layers != "all layers":
        parts.append(layers)
    detail = ", ".join(p for p in parts if p)
    return f"{title} · {detail}" if detail else title


@dataclass(frozen=True)
class NamedSet:
    """One set in the workspace: ``set_id`` is stable for the workspace's life."""

    set_id: int
    name: str
    directions: DirectionSet


@dataclass(frozen=True)
class SetEdit:
    """An edit and the set whose direction it moves along."""

    set_id: int
    edit: Edit


@dataclass(frozen=True)
class ActiveEdit:
    """One row of the "active edits" summary."""

    set_id: int
    set_name: str
    direction_index: int
    label: str
    alpha: float
    layers: LayerRange | None


@dataclass(frozen=True)
class Workspace:
    """Ordered sets, the edits across them, the selected set id (None: no set)."""

    sets: tuple[NamedSet, ...] = ()
    edits: tuple[SetEdit, ...] = ()
    selected: int | None = None
    next_id: int = 1

    def __post_init__(self) -> None:
        ids = [s.set_id for s in self.sets]
        if len(set(ids)) != len(ids):
            raise ValueError("two direction sets share one id")
        if any(i < 1 or i >= self.next_id for i in ids):
            raise ValueError("a direction set id is out of range")
        if self.selected is not None and self.selected not in ids:
            raise ValueError(f"the selected set {self.selected} is not in the workspace")
        seen = set()
        for e in self.edits:
            key = (e.set_id, e.edit.direction_index)
            if e.set_id not in ids:
                raise ValueError(f"an edit names set {e.set_id}, which is not in the workspace")
            if key in seen:
                raise ValueError(f"set {e.set_id} has two edits of direction "
                                 f"{e.edit.direction_index}")
            seen.add(key)
            self.get(e.set_id).directions.direction(e.edit.direction_index)

    # -- reading ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.sets)

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(s.set_id for s in self.sets)

    def get(self, set_id: int) -> NamedSet:
        for s in self.sets:
            if s.set_id == set_id:
                return s
        raise KeyError(f"no direction set {set_id} in this workspace")

    def position(self, set_id: int) -> int:
        """0-based place of ``set_id`` in the order shown (the CLI numbers sets from 1)."""
        return self.ids.index(self.get(set_id).set_id)

    @property
    def selected_set(self) -> NamedSet | None:
        return None if self.selected is None else self.get(self.selected)

    def edits_for(self, set_id: int) -> tuple[Edit, ...]:
        """The edits of one set, in order (alpha 0 ones included)."""
        return tuple(e.edit for e in self.edits if e.set_id == set_id)

    def edit_of(self, set_id: int, index: int) -> Edit | None:
        for e in self.edits:
            if e.set_id == set_id and e.edit.direction_index == index:
                return e.edit
        return None

    def active_edits(self) -> tuple[ActiveEdit, ...]:
        """Every edit that moves the image (alpha != 0), set by set in the sets' order."""
        out = []
        for s in self.sets:
            for e in self.edits_for(s.set_id):
                if e.alpha != 0.0:
                    d = s.directions.direction(e.direction_index)
                    out.append(ActiveEdit(s.set_id, s.name, e.direction_index, d.label,
                                          e.alpha, e.layers))
        return tuple(out)

    # -- sets ------------------------------------------------------------------------------
    def unique_name(self, name: str) -> str:
        names = {s.name for s in self.sets}
        if name not in names:
            return name
        n = 2
        while f"{name} ({n})" in names:
            n += 1
        return f"{name} ({n})"

    def add_set(self, ds: DirectionSet, name: str | None = None, *, select: bool = True,
                edits: Iterable[Edit] = (), num_ws: int | None = None
                ) -> tuple[Workspace, int]:
        """(the new workspace, the new set's id); ``name`` None: :func:`set_name` (with
        ``num_ws``, the model's, to name layer presets). Names are made unique."""
        set_id = self.next_id
        name = name or set_name(ds.method, ds.params, ds.space, num_ws)
        entry = NamedSet(set_id, self.unique_name(name), ds)
        new = replace(self, sets=(*self.sets, entry), next_id=set_id + 1,
                      edits=(*self.edits, *(SetEdit(set_id, e) for e in edits)),
                      selected=set_id if select or self.selected is None else self.selected)
        return new, set_id

    def _replace_entry(self, set_id: int, **changes: Any) -> Workspace:
        self.get(set_id)
        return replace(self, sets=tuple(replace(s, **changes) if s.set_id == set_id else s
                                        for s in self.sets))

    def rename_set(self, set_id: int, name: str) -> Workspace:
        name = name.strip()
        if not name:
            raise ValueError("a direction set needs a name")
        return self._replace_entry(set_id, name=name)

    def replace_directions(self, set_id: int, ds: DirectionSet) -> Workspace:
        """The set's DirectionSet swapped (e.g. labels typed); its edits must still fit."""
        return self._replace_entry(set_id, directions=ds)

    def with_label(self, set_id: int, index: int, label: str) -> Workspace:
        return self.replace_directions(set_id, self.get(set_id).directions.with_label(index,
                                                                                       label))

    def duplicate_set(self, set_id: int) -> tuple[Workspace, int]:
        """A copy after the original, selected, with the original's layer ranges but every
        alpha at 0 (a copy does not double the image's edits)."""
        src = self.get(set_id)
        kept = [Edit(e.direction_index, 0.0, e.layers) for e in self.edits_for(set_id)
                if e.layers is not None]
        new, new_id = self.add_set(src.directions, f"{src.name} (copy)", edits=kept)
        order = list(new.sets[:-1])
        order.insert(self.position(set_id) + 1, new.sets[-1])
        return replace(new, sets=tuple(order)), new_id

    def remove_set(self, set_id: int) -> Workspace:
        """Without the set and its edits; the selection moves to the next set (or the one
        before when it was the last)."""
        pos = self.position(set_id)
        sets = tuple(s for s in self.sets if s.set_id != set_id)
        selected = self.selected
        if selected == set_id:
            selected = sets[min(pos, len(sets) - 1)].set_id if sets else None
        return replace(self, sets=sets, selected=selected,
                       edits=tuple(e for e in self.edits if e.set_id != set_id))

    def move_set(self, set_id: int, position: int) -> Workspace:
        order = [s for s in self.sets if s.set_id != set_id]
        order.insert(max(0, min(position, len(order))), self.get(set_id))
        return replace(self, sets=tuple(order))

    def select(self, set_id: int | None) -> Workspace:
        if set_id is not None:
            self.get(set_id)
        return replace(self, selected=set_id)

    # -- edits -----------------------------------------------------------------------------
    def set_edit(self, set_id: int, index: int, alpha: float,
                 layers: LayerRange | None = None) -> Workspace:
        """Direction ``index`` of set ``set_id`` at ``alpha`` on ``layers`` (replacing its
        edit in place, else appended). Alpha 0 without layers clears the edit."""
        self.get(set_id).directions.direction(index)
        if alpha == 0.0 and layers is None:
            return self.clear_edit(set_id, index)
        new = SetEdit(set_id, Edit(index, float(alpha), layers))
        edits = list(self.edits)
        for n, e in enumerate(edits):
            if e.set_id == set_id and e.edit.direction_index == index:
                edits[n] = new
                return replace(self, edits=tuple(edits))
        return replace(self, edits=(*edits, new))

    def clear_edit(self, set_id: int, index: int) -> Workspace:
        return replace(self, edits=tuple(
            e for e in self.edits if (e.set_id, e.edit.direction_index) != (set_id, index)))

    def clear_edits(self, set_id: int | None = None) -> Workspace:
        """Every edit removed (of one set when ``set_id`` is given)."""
        return replace(self, edits=() if set_id is None else tuple(
            e for e in self.edits if e.set_id != set_id))

    def with_set_edits(self, set_id: int, edits: Iterable[Edit]) -> Workspace:
        """The edits of one set replaced by ``edits`` (the others keep their place)."""
        self.get(set_id)
        rest = tuple(e for e in self.edits if e.set_id != set_id)
        return replace(self, edits=(*rest, *(SetEdit(set_id, e) for e in edits)))

    # -- one-set views ---------------------------------------------------------------------
    @classmethod
    def single(cls, ds: DirectionSet | None, edits: Iterable[Edit] = (),
               name: str | None = None) -> Workspace:
        """A workspace of one set (or none) with ``edits``: what a v1 session held."""
        edits = tuple(edits)
        if ds is None:
            if edits:
                raise ValueError("edits need a direction set")
            return cls()
        return cls().add_set(ds, name, edits=edits)[0]


@dataclass(frozen=True)
class WorkspaceSession:
    """Everything the window's image depends on: model, face, latent controls, the sets."""

    model_ref: str
    face: Face = 0
    truncation: float = 1.0
    noise_mode: str = "const"
    workspace: Workspace = Workspace()
    truncation_cutoff: int | None = None
    class_index: int = 0

    @property
    def seed(self) -> int | None:
        return self.face if isinstance(self.face, int) else None

    @property
    def latent(self) -> ProjectedLatent | None:
        return self.face if isinstance(self.face, ProjectedLatent) else None

    @classmethod
    def from_session(cls, session: Session) -> WorkspaceSession:
        """A v1-shaped :class:`Session` (one set) as a workspace session."""
        return cls(session.model_ref, session.seed, session.truncation, session.noise_mode,
                   Workspace.single(session.direction_set, session.edits),
                   session.truncation_cutoff, session.class_index)

    def to_session(self) -> Session:
        """The one-set view: the selected set and its edits (seed 0 for a latent face)."""
        sel = self.workspace.selected_set
        return Session(self.model_ref, self.seed or 0, self.truncation, self.noise_mode,
                       sel.directions if sel else None,
                       self.workspace.edits_for(sel.set_id) if sel else (),
                       self.truncation_cutoff, self.class_index)
