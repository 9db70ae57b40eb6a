"""StyleGAN files: NVIDIA pickles and rosinality checkpoints through load_model, and hostile
or broken files refused without running anything."""

from __future__ import annotations

import pickle
from collections import OrderedDict

import pytest
import torch
from stylegan_fixtures import (
    HostileStorage,
    PersistentStub,
    RunsShell,
    _nvidia_module_names,
    generator_record,
    hostile_source,
    random_generator,
    tiny_config,
    write_nvidia_pickle,
    write_rosinality_checkpoint,
)

from guiapp.core.models.base import ModelLoadError
from guiapp.core.models.registry import load_model, sniff_format


@pytest.fixture(scope="module")
def net():
    return random_generator(seed=3)


def _images(net, z):
    with torch.no_grad():
        return net.synthesis(net.mapping(z), noise_mode="const")


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_nvidia_pickle_loads_with_its_weights(tmp_path, net, protocol):
    path = write_nvidia_pickle(tmp_path / "snap.pkl", net, protocol=protocol)
    assert sniff_format(path) == "pickle"
    model = load_model(str(path))
    assert model.format == "stylegan2-nvidia-pickle"
    assert (model.z_dim, model.w_dim, model.num_ws, model.resolution) == (32, 32, 6, 16)
    z = torch.randn(3, 32)
    with torch.no_grad():
        ws = model.map(z)
        assert ws.shape == (3, 6, 32)
        assert torch.equal(model.synthesize(ws), _images(net, z))
    assert torch.equal(model.w_avg, net.mapping.w_avg)


def test_nvidia_pickle_resnet_and_conditional(tmp_path):
    net = random_generator(tiny_config(architecture="resnet", c_dim=4, conv_clamp=None), 5)
    model = load_model(str(write_nvidia_pickle(tmp_path / "cond.pkl", net)))
    z = torch.randn(2, 32)
    c = torch.zeros(2, 4)
    c[:, 3] = 1
    model.class_index = 3
    with torch.no_grad():
        expected = net.synthesis(net.mapping(z, c))
        assert torch.equal(model.synthesize(model.map(z)), expected)
        model.class_index = 0
        assert not torch.equal(model.synthesize(model.map(z)), expected)
    with pytest.raises(ValueError, match="class index"):
        model.class_index = 4


@pytest.mark.parametrize("zip_format", [True, False])
def test_rosinality_checkpoint_loads(tmp_path, net, zip_format):
    path = write_rosinality_checkpoint(tmp_path / "g.pt", net, zip_format=zip_format)
    assert sniff_format(path) == ("zip" if zip_format else "pickle")
    model = load_model(str(path))
    assert model.format == "stylegan2-rosinality"
    assert (model.z_dim, model.num_ws, model.resolution) == (32, 6, 16)
    z = torch.randn(2, 32)
    with torch.no_grad():
        torch.testing.assert_close(model.synthesize(model.map(z)), _images(net, z))
    assert torch.equal(model.w_avg, net.mapping.w_avg)


def test_rosinality_without_latent_avg_averages_mapped_latents(tmp_path, net):
    model = load_model(str(write_rosinality_checkpoint(tmp_path / "g.pt", net, False)))
    z = torch.from_numpy(model.sample_z(10_000, 0)).float()
    with torch.no_grad():
        expected = net.mapping(z)[:, 0].double().mean(0).float()
    torch.testing.assert_close(model.w_avg, expected, atol=1e-5, rtol=0)


def test_zip_that_is_not_rosinality_is_refused(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"state_dict": {"w": torch.ones(2)}}, path)
    with pytest.raises(ModelLoadError, match="not a rosinality"):
        load_model(str(path))


@pytest.mark.parametrize("kind", ["pickle", "zip", "legacy"])
def test_truncated_files_give_one_line_errors(tmp_path, net, kind):
    full = tmp_path / "full"
    if kind == "pickle":
        write_nvidia_pickle(full, net)
    else:
        write_rosinality_checkpoint(full, net, zip_format=kind == "zip")
    data = full.read_bytes()
    cut = tmp_path / "cut"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelLoadError, match="corrupt or truncated") as info:
        load_model(str(cut))
    assert "\n" not in str(info.value)


def test_pickle_running_os_system_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"G_ema": RunsShell(marker)}, protocol=4))
    with pytest.raises(ModelLoadError, match=r"refused to load: the file asks to run os\.system"):
        load_model(str(path))
    assert not marker.exists()


def test_record_with_malicious_module_source_is_refused(tmp_path, net):
    marker = tmp_path / "pwned"
    path = write_nvidia_pickle(tmp_path / "evil.pkl", net, module_src=hostile_source(marker))
    with pytest.raises(ModelLoadError, match="refused to load: the code stored with network"):
        load_model(str(path))
    assert not marker.exists()


def test_storage_blob_running_code_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"G_ema": HostileStorage(marker)}, protocol=4))
    with pytest.raises(ModelLoadError, match="refused to load"):
        load_model(str(path))
    assert not marker.exists()


def test_zip_running_code_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"g_ema": RunsShell(marker)}, path)
    with pytest.raises(ModelLoadError, match=r"refused to load: .*asks for os\.system"):
        load_model(str(path))
    assert not marker.exists()


def test_broken_stylegan3_and_tensorflow_pickles_are_refused(tmp_path, net):
    record = generator_record(net)
    synth = record.meta["state"]["_modules"]["synthesis"].meta["state"]["_modules"]
    synth["input"] = PersistentStub("SynthesisInput", {"_buffers": OrderedDict()})
    path = tmp_path / "sg3.pkl"
    with _nvidia_module_names():
        path.write_bytes(pickle.dumps({"G_ema": record}))
    with pytest.raises(ModelLoadError, match="unexpected StyleGAN3 network record"):
        load_model(str(path))
    tf = tmp_path / "tf.pkl"
    tf.write_bytes(b"\x80\x02cdnnlib.tflib.network\nNetwork\nq\x00)\x81q\x01.")
    with pytest.raises(ModelLoadError, match="TensorFlow StyleGAN pickles"):
        load_model(str(tf))


def test_pickle_without_generator(tmp_path):
    path = tmp_path / "empty.pkl"
    path.write_bytes(pickle.dumps({"D": OrderedDict(a=1)}, protocol=4))
    with pytest.raises(ModelLoadError, match="no StyleGAN generator"):
        load_model(str(path))
