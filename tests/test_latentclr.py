"""LatentCLR (guiapp.core.methods.latentclr): loss, training, cancel, direction models, files."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from guiapp.core.direction_models import (
    ConditionalDirections,
    LinearDirections,
    build_direction_model,
)
from guiapp.core.edits import apply_edits
from guiapp.core.io import load_direction_set, save_direction_set
from guiapp.core.methods import latentclr
from guiapp.core.methods.latentclr import Params, contrastive_loss, discover
from guiapp.core.models.base import GeneratorModel
from guiapp.core.progress import Cancelled, CancelToken
from guiapp.core.render import render_image, synthesize_uint8
from guiapp.core.types import Edit, LayerRange, RunStatus, TrainingStep


class PlantedEffects(GeneratorModel):
    """z (4) -> features ``tanh(z @ U) @ E`` (12): effect k moves along E[k] only, as ``z``
    moves along the planted latent direction ``U[:, k]``, with a gain that depends on z (so
    only the planted directions cause the same change everywhere); images are the features.
    """

    name = format = model_id = "planted"
    z_dim, w_dim, num_ws, resolution = 4, None, 1, 2
    feature_layers = ("effects",)

    def __init__(self) -> None:
        rng = np.random.RandomState(3)
        self.u = np.linalg.qr(rng.randn(4, 4))[0]  # planted orthonormal latent directions
        self.e = np.linalg.qr(rng.randn(12, 4))[0].T  # (4, 12) orthonormal feature effects
        self._u = torch.from_numpy(self.u).float()
        self._e = torch.from_numpy(self.e).float()

    def map(self, z: torch.Tensor) -> torch.Tensor:
        return z[:, None, :]

    def features(self, ws: torch.Tensor, layer: str) -> torch.Tensor:
        return torch.tanh(ws[:, 0].float() @ self._u) @ self._e

    def synthesize(self, ws: torch.Tensor, noise_mode: str = "const") -> torch.Tensor:
        return self.features(ws, "effects").reshape(-1, 3, 2, 2)

    def sefa_weights(self, layers=None) -> torch.Tensor:
        return self._u.T

    def to(self, device):
        return self


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """Tiny tensors: one thread is ~40x faster than two fighting over a busy CPU."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def toy() -> PlantedEffects:
    return PlantedEffects()


# The official loss: the paper's (no |cos|) favours pairs of opposite directions, d and -d
# being ideal negatives, so with K = 4 it spends two directions on one effect.
FAST = dict(k=4, batch=16, iterations=300, lr=0.05, alpha=0.1, loss="official", eval_samples=32)


@pytest.fixture(scope="module")
def trained(toy):
    reports: list[TrainingStep] = []
    ds = discover(toy, Params(**FAST), on_partial=reports.append)
    return ds, reports


# Rows r0, r1 (direction 0) and r2, r3 (direction 1). Their cosines, by hand:
R = [[2.0, 0.0], [1.0, 2.0], [0.0, -3.0], [0.0, 1.0]]
C01, C02, C03 = 1 / math.sqrt(5), 0.0, 0.0
C12, C13, C23 = -2 / math.sqrt(5), 2 / math.sqrt(5), -1.0


def test_paper_loss_equals_the_hand_computed_value() -> None:
    e = math.exp  # tau = 0.5: exp(cos / 0.5); positives over the negatives only
    anchors = [
        e(2 * C01) / (e(2 * C02) + e(2 * C03)),
        e(2 * C01) / (e(2 * C12) + e(2 * C13)),
        e(2 * C23) / (e(2 * C02) + e(2 * C12)),
        e(2 * C23) / (e(2 * C03) + e(2 * C13)),
    ]
    expected = sum(-math.log(a) for a in anchors) / 4
    loss, acc = contrastive_loss(torch.tensor(R, dtype=torch.float64), 2, 0.5, "paper")
    assert loss.item() == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(1.7047, abs=1e-4)
    # mean positive > mean negative only for anchor 0
    assert acc.item() == 0.25


def test_official_loss_equals_the_hand_computed_value() -> None:
    def e(c: float) -> float:
        return math.exp(abs(c) * 0.5)  # |cos| times tau; means instead of sums

    pos_neg = [
        (e(C01), (e(C02) + e(C03)) / 2),
        (e(C01), (e(C12) + e(C13)) / 2),
        (e(C23), (e(C02) + e(C12)) / 2),
        (e(C23), (e(C03) + e(C13)) / 2),
    ]
    expected = sum(-math.log(p / n) for p, n in pos_neg) / 4
    loss, acc = contrastive_loss(torch.tensor(R, dtype=torch.float64), 2, 0.5, "official")
    assert loss.item() == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(-0.1258, abs=1e-4)
    assert acc.item() == 0.75  # anchor 1 has mean positive < mean negative


def test_training_lowers_the_loss_and_finds_the_planted_directions(toy, trained) -> None:
    ds, reports = trained
    losses = [r.loss for r in reports]
    assert losses[-1] < losses[0] - 0.1
    assert [r.iteration for r in reports] == list(range(10, 301, 10))
    assert ds.training.loss == pytest.approx(losses) and ds.ranking.kind == "latentclr"
    assert ds.training.iterations == tuple(r.iteration for r in reports)
    assert ds.status == RunStatus(cancelled=False, iterations_done=300)
    cos = np.abs(ds.vectors.astype(np.float64) @ toy.u)  # (learned, planted)
    assert cos.max(axis=1).min() > 0.95
    assert sorted(cos.argmax(axis=1)) == [0, 1, 2, 3]  # one learned direction per effect
    assert np.all(np.diff(ds.scores) <= 0) and ds.ranking.values == tuple(ds.scores)
    assert all(d.notes == "" for d in ds.directions)  # no near-duplicates here
    assert ds.conditional is None and ds.method == "latentclr" and ds.space == "z"


def test_training_lowers_the_paper_loss(toy) -> None:
    reports: list[TrainingStep] = []
    params = Params(**{**FAST, "loss": "paper", "iterations": 100, "report_every": 1})
    discover(toy, params, on_partial=reports.append)
    first, last = reports[0].loss, np.mean([r.loss for r in reports[-10:]])
    assert last < first - 0.3  # the first report is the untrained model's loss


def test_same_seed_same_result_other_seed_differs(toy, trained) -> None:
    again = discover(toy, Params(**FAST))
    np.testing.assert_array_equal(again.vectors, trained[0].vectors)
    other = discover(toy, Params(**{**FAST, "iterations": 20, "seed": 1}))
    assert not np.allclose(other.vectors, trained[0].vectors)


@pytest.mark.parametrize("keep_best", [False, True])
def test_training_stops_within_one_iteration_of_a_cancel(toy, keep_best) -> None:
    token, reports = CancelToken(), []

    def on_partial(report: TrainingStep) -> None:
        reports.append(report)
        if report.iteration == 7:
            token.cancel()

    params = Params(**{**FAST, "report_every": 1, "keep_best_on_cancel": keep_best})
    if not keep_best:
        with pytest.raises(Cancelled):
            discover(toy, params, cancel=token, on_partial=on_partial)
    else:
        ds = discover(toy, params, cancel=token, on_partial=on_partial)
        assert ds.cancelled and ds.status.iterations_done == 7 and len(ds) == 4
    assert [r.iteration for r in reports] == list(range(1, 8))


def test_cancel_before_the_first_iteration_raises_even_when_keeping_the_best(toy) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        discover(toy, Params(**FAST, keep_best_on_cancel=True), cancel=token)


def test_near_duplicates_are_ranked_last() -> None:
    means = np.array([[1.0, 0.0], [0.0, 1.0], [-0.999, 0.045], [0.6, 0.8]])
    means /= np.linalg.norm(means, axis=1, keepdims=True)
    order, duplicate_of = latentclr.rank(np.array([1.0, 3.0, 4.0, 2.0]), means)
    assert order.tolist() == [2, 1, 3, 0]  # 0 repeats 2 (|cos| > 0.95): last
    assert duplicate_of.tolist() == [2, -1, -1, -1]


def test_contrastive_loss_variants_and_bad_shapes() -> None:
    diffs = torch.randn(12, 5)
    for variant in ("paper", "official"):
        loss, acc = contrastive_loss(diffs, 3, 0.5, variant)
        assert math.isfinite(loss.item()) and 0 <= acc.item() <= 1
    with pytest.raises(ValueError, match="N >= 2"):
        contrastive_loss(torch.randn(3, 5), 3, 0.5)
    with pytest.raises(ValueError, match="loss"):
        contrastive_loss(diffs, 3, 0.5, "other")
    with pytest.raises(ValueError, match="model_type"):
        Params(model_type="deep")
    with pytest.raises(ValueError, match="tau"):
        Params(tau=0.0)


@pytest.mark.parametrize("model_type", ["linear", "nonlinear"])
def test_conditional_set_round_trips_and_edits_the_same(toy, tmp_path, model_type) -> None:
    params = Params(**{**FAST, "iterations": 30, "model_type": model_type, "steps": 3})
    ds = discover(toy, params)
    assert isinstance(ds.conditional, ConditionalDirections) and ds.conditional.steps == 3
    np.testing.assert_allclose(np.linalg.norm(ds.vectors, axis=1), 1.0, atol=1e-6)
    path = tmp_path / "clr.npz"
    save_direction_set(path, ds)
    raw = np.load(path, allow_pickle=False)  # numpy alone reads the weights
    assert {n for n in raw.files if n.startswith("model.")} == {
        "model." + n for n in ds.conditional.arrays()
    }
    back = load_direction_set(path)
    assert back.conditional.spec() == ds.conditional.spec()
    for name, arr in ds.conditional.arrays().items():
        np.testing.assert_array_equal(back.conditional.arrays()[name], arr)
    ws = toy.map(torch.from_numpy(toy.sample_z(3, 5)).float())
    edits = [Edit(0, 2.5), Edit(1, -1.0)]
    before = synthesize_uint8(toy, apply_edits(ws, ds, edits))
    np.testing.assert_array_equal(synthesize_uint8(toy, apply_edits(ws, back, edits)), before)
    assert not np.array_equal(before, synthesize_uint8(toy, ws))
    # the renderer's latents are inference-mode tensors
    image = render_image(toy, 5, 0.8, back, edits)
    np.testing.assert_array_equal(image, render_image(toy, 5, 0.8, ds, edits))


def test_damaged_direction_model_is_refused(toy, tmp_path) -> None:
    from guiapp.core.io import FileFormatError

    ds = discover(toy, Params(**{**FAST, "iterations": 2, "model_type": "linear"}))
    save_direction_set(tmp_path / "a.npz", ds)
    with np.load(tmp_path / "a.npz") as npz:
        arrays = {name: npz[name] for name in npz.files}
    arrays["model.weight"] = arrays["model.weight"][:, :2]
    np.savez(tmp_path / "b.npz", **arrays)
    with pytest.raises(FileFormatError, match=r"damaged direction set.*bad shape"):
        load_direction_set(tmp_path / "b.npz")


def test_session_keeps_the_direction_model(toy, tmp_path) -> None:
    from guiapp.core.session_io import load_session, save_session
    from guiapp.core.types import Session

    ds = discover(toy, Params(**{**FAST, "iterations": 5, "model_type": "linear"}))
    save_session(tmp_path / "s.json", Session("planted", direction_set=ds, edits=(Edit(2, 1.0),)))
    back, _ = load_session(tmp_path / "s.json")
    ws = torch.randn(2, 1, 4)
    torch.testing.assert_close(
        apply_edits(ws, back.direction_set, back.edits), apply_edits(ws, ds, back.edits)
    )


def test_conditional_edits_follow_the_model_on_their_layers_only() -> None:
    gen = torch.Generator().manual_seed(0)
    model = build_direction_model("linear", 2, 3, generator=gen)
    assert isinstance(model, LinearDirections)
    cond = ConditionalDirections(model, steps=4)
    from guiapp.core.types import Direction, DirectionSet

    dirs = tuple(Direction(np.eye(3, dtype=np.float32)[i], 1.0) for i in range(2))
    ds = DirectionSet("latentclr", "w", "x", {}, dirs, conditional=cond)
    ws = torch.randn(2, 4, 3)
    assert torch.equal(apply_edits(ws, ds, [Edit(1, 0.0)]), ws)
    out = apply_edits(ws, ds, [Edit(1, 2.0, LayerRange(1, 3))])
    assert torch.equal(out[:, [0, 3]], ws[:, [0, 3]])
    expected = ws[:, 1:3].reshape(-1, 3).clone()
    for _ in range(4):  # four Euler steps of 0.5 along the unit direction at the latent
        d = expected @ model.weight[1].detach().T
        expected = expected + 0.5 * d / d.norm(dim=1, keepdim=True)
    torch.testing.assert_close(out[:, 1:3].reshape(-1, 3), expected)
    with pytest.raises(ValueError, match="direction model has 2 directions of 3-D"):
        DirectionSet("latentclr", "w", "x", {}, dirs[:1], conditional=cond)


def test_runs_inside_inference_mode_and_on_the_builtin_model() -> None:
    from guiapp.core.models.registry import load_model

    model = load_model("builtin:dcgan-digiface")
    params = Params(k=3, batch=3, iterations=2, eval_samples=4, model_type="nonlinear")
    with torch.inference_mode():
        ds = discover(model, params)
    assert len(ds) == 3 and ds.dim == model.z_dim and ds.params["layer"] == "block0"
    assert latentclr.resolve_layer(model, None) == "block0"
    with pytest.raises(ValueError, match="unknown layer"):
        discover(model, Params(layer="b4.conv1"))
