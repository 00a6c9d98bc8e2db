"""The NumPy engine: same function as the torch generator, same latents, same errors, and reproducible output
whatever the thread count or chunking; the engine choice of ``nugan generate``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import nugan
from nugan.generation import engines
from nugan.generation.api import NuganModel
from nugan.generation.engines import AUTO_NUMPY_MAX_EVENTS, choose_engine, load_for_generation
from nugan.generation.numpy_model import NumpyGanModel
from nugan.models.checkpoint import ModelBundle, load_model, save_model
from nugan.models.config import GANConfig
from nugan.models.latents import LATENT_BLOCK, latents
from nugan.models.networks import Discriminator, Generator, latent_codes
from nugan.models.numpy_engine import generator_shapes, load_numpy_model, sample_muon_numpy
from nugan.models.sampler import sample_muon
from nugan.models.transforms import VariableTransform

#: Agreement of the engines on CPU (same latents; float32 network): measured 2.2e-6 relative in E_mu and
#: 2.3e-6 absolute in cos_theta on 1e5 events of nuwro-C12 (docs/generation.md); asserted with margin.
E_MU_RTOL = 2e-5
COS_ATOL = 2e-5
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def shipped() -> tuple[ModelBundle, object]:
    tb = load_model("nuwro-C12")
    assert isinstance(tb, ModelBundle)
    return tb, load_numpy_model("nuwro-C12")


def _energies(n: int, lo: float = 0.4, hi: float = 9.5, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).uniform(lo, hi, n)


def _agree(tb: ModelBundle, nb: object, E: np.ndarray, seed: int) -> tuple[float, float]:
    mu_t, cos_t = sample_muon(tb.generator, tb.transform, E, seed, device=CPU)
    mu_n, cos_n = sample_muon_numpy(nb, E, seed)  # type: ignore[arg-type]
    return float(np.max(np.abs(mu_n - mu_t) / mu_t)), float(np.max(np.abs(cos_n - cos_t)))


def test_shipped_gan_engines_agree(shipped: tuple[ModelBundle, object]) -> None:
    tb, nb = shipped
    rel_mu, abs_cos = _agree(tb, nb, _energies(20_000), seed=11)
    assert rel_mu < E_MU_RTOL and abs_cos < COS_ATOL


def test_latent_categories_match_torch(shipped: tuple[ModelBundle, object]) -> None:
    tb, nb = shipped
    z = latents(5, 0, 30_000, tb.config.latent_dim)
    codes = latent_codes(torch.from_numpy(z), tb.config.latent_categories).argmax(1).numpy()
    assert np.array_equal(nb.generator.categories(z[:, 0]), codes)  # type: ignore[attr-defined]
    edges = nb.generator.edges  # type: ignore[attr-defined]
    assert np.array_equal(nb.generator.categories(edges), np.arange(1, len(edges) + 1))  # type: ignore[attr-defined]


def _random_gan(tmp_path: Path, cfg: GANConfig, *, big_slopes: bool = False, zero_gamma: bool = False) -> Path:
    """A randomly initialised GAN checkpoint (LayerNorm and PReLU parameters randomised too)."""
    torch.manual_seed(0)
    gen = Generator(cfg)
    with torch.no_grad():
        for name, p in gen.named_parameters():
            if "norm.weight" in name:
                p.uniform_(0.5, 1.5)
            elif "norm.bias" in name or "linear.bias" in name:
                p.normal_(0.0, 0.3)
            elif "act.weight" in name:
                p.uniform_(0.5, 1.5) if big_slopes else p.uniform_(-0.2, 0.6)
        if zero_gamma:
            gen.blocks["block1"].norm.weight[3] = 0.0
    tr = VariableTransform(0.3, 10.0, (0.1, -0.2), (1.3, 0.8))
    save_model(ModelBundle(gen, Discriminator(cfg, tr), cfg, tr, {"domain": {"target": "C12"}}), tmp_path)
    return tmp_path / "model.json"


@pytest.mark.parametrize(
    ("cfg", "kw"),
    [
        (GANConfig(latent_dim=12, gen_width=24, gen_blocks=3, latent_categories=5, activation="prelu"), {}),
        (GANConfig(latent_dim=10, gen_width=16, gen_blocks=2, activation="relu", skip=False), {}),
        (GANConfig(latent_dim=6, gen_width=16, gen_blocks=3, latent_categories=3), {"big_slopes": True}),
        (GANConfig(latent_dim=6, gen_width=16, gen_blocks=3, activation="relu"), {"zero_gamma": True}),
    ],
    ids=["categories-prelu", "relu-noskip", "prelu-slopes-above-1", "zero-gamma"],
)
def test_random_gans_engines_agree(tmp_path: Path, cfg: GANConfig, kw: dict[str, bool]) -> None:
    js = _random_gan(tmp_path, cfg, **kw)
    tb = load_model(js)
    assert isinstance(tb, ModelBundle)
    nb = load_numpy_model(js)
    blocks = nb.generator.blocks
    assert (blocks[1].gamma is not None) == kw.get("zero_gamma", False)  # no gamma folded when one is 0
    assert any(b.slope is not None and not b.max_form for b in blocks) == kw.get("big_slopes", False)
    E = _energies(5_000, 0.35, 9.9)
    rel_mu, abs_cos = _agree(tb, nb, E, seed=4)
    assert rel_mu < E_MU_RTOL and abs_cos < COS_ATOL
    z = latents(4, 0, 3_000, cfg.latent_dim)
    e = tb.transform.encode_energy(E[:3_000]).astype(np.float32)
    u_t = tb.generator(torch.from_numpy(z), torch.from_numpy(e)[:, None]).detach().numpy()
    np.testing.assert_allclose(nb.generator.forward(z, e), u_t, atol=1e-5, rtol=0)


def test_generator_shapes_match_torch() -> None:
    for cfg in (GANConfig(), GANConfig(activation="relu", latent_categories=4, gen_blocks=5, gen_width=8)):
        assert generator_shapes(cfg) == {k: tuple(v.shape) for k, v in Generator(cfg).state_dict().items()}


def test_output_independent_of_threads_chunks_and_size(shipped: tuple[ModelBundle, object]) -> None:
    _, nb = shipped
    n = 2 * LATENT_BLOCK + 1_500
    E = _energies(n, seed=9)
    one = sample_muon_numpy(nb, E, 2, threads=1)  # type: ignore[arg-type]
    three = sample_muon_numpy(nb, E, 2, threads=3)  # type: ignore[arg-type]
    tail = sample_muon_numpy(nb, E[LATENT_BLOCK:], 2, offset=LATENT_BLOCK, threads=2)  # type: ignore[arg-type]
    short = sample_muon_numpy(nb, E[:10], 2)  # type: ignore[arg-type]
    for k in range(2):
        assert np.array_equal(one[k], three[k])
        assert np.array_equal(one[k][LATENT_BLOCK:], tail[k])
        assert np.array_equal(one[k][:10], short[k])
    with pytest.raises(ValueError, match="multiple of"):
        sample_muon_numpy(nb, E, 2, offset=5)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------- loader errors
def _copy_gan(tmp_path: Path, edit: dict[str, np.ndarray | None]) -> Path:
    """The shipped GAN with some tensors replaced (None: removed), its hash record dropped."""
    from safetensors.numpy import load_file, save_file

    src = Path(load_numpy_model("nuwro-C12").info["path"])
    tensors = load_file(str(src.with_suffix(".safetensors")))
    for k, v in edit.items():
        if v is None:
            tensors.pop(k)
        else:
            tensors[k] = v
    save_file(tensors, str(tmp_path / "model.safetensors"))
    info = json.loads(src.read_text())
    info.pop("weights_sha256")
    (tmp_path / "model.json").write_text(json.dumps(info))
    return tmp_path / "model.json"


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        ({"generator.head.bias": None}, "1 missing, 0 unexpected, 0 wrong-shape"),
        ({"generator.blocks.block1.linear.weight": np.zeros((96, 90), np.float32)}, "1 wrong-shape"),
        ({"generator.blocks.block2.norm.bias": np.full(96, np.nan, np.float32)}, "NaN or infinite"),
    ],
    ids=["missing", "wrong-shape", "nan"],
)
def test_bad_checkpoint_same_error_as_torch(tmp_path: Path, edit: dict[str, np.ndarray | None], match: str) -> None:
    js = _copy_gan(tmp_path, edit)
    with pytest.raises(ValueError, match=match) as np_err:
        load_numpy_model(js)
    with pytest.raises(ValueError) as torch_err:
        load_model(js)
    assert str(np_err.value) == str(torch_err.value)


def test_corrupt_weights_and_foreign_json(tmp_path: Path) -> None:
    js = _copy_gan(tmp_path, {})
    js.with_suffix(".safetensors").write_bytes(b"\x00" * 40)
    with pytest.raises(ValueError, match="corrupt or unreadable"):
        load_numpy_model(js)
    js.write_text('{"format": "something-else"}')
    with pytest.raises(ValueError, match="not a nugan model checkpoint"):
        load_numpy_model(js)


def test_flow_refused_by_numpy_engine() -> None:
    with pytest.raises(ValueError, match="normalising flow"):
        load_numpy_model("nuwro-C12-flow")
    with pytest.raises(ValueError, match="normalising flow"):
        load_for_generation("nuwro-C12-flow", engine="numpy", device="cpu")


# ----------------------------------------------------------------------------------------------- engine choice
def test_engine_choice_rules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert choose_engine("gan", "cpu", 10).engine == "numpy"
    assert choose_engine("gan", "cpu", AUTO_NUMPY_MAX_EVENTS + 1).engine == "torch"
    assert choose_engine("gan", "cpu", 10, "torch").engine == "torch"
    assert choose_engine("flow", "cpu", 10).engine == "torch"
    assert choose_engine("gan", "cuda", 10).engine == "torch"
    assert choose_engine("gan", "auto", 10, "numpy").device == "cpu"
    with pytest.raises(ValueError, match="CPU only"):
        choose_engine("gan", "cuda", 10, "numpy")
    with pytest.raises(ValueError, match="unknown engine"):
        choose_engine("gan", "cpu", 10, "jax")
    monkeypatch.setattr(engines, "NVIDIA_DRIVER_FILE", tmp_path / "absent")
    if sys.platform.startswith("linux"):
        assert not engines.cuda_possible()
        assert choose_engine("gan", "auto", 10).engine == "numpy"


def test_api_engines() -> None:
    assert isinstance(nugan.load("nuwro-C12"), NuganModel)  # unchanged default
    m = nugan.load("nuwro-C12", engine="numpy")
    assert isinstance(m, NumpyGanModel) and m.engine == "numpy" and m.device == "cpu"
    t = nugan.load("nuwro-C12", device="cpu")
    E = _energies(3_000, seed=1)
    a, b = m.sample(E, seed=5), t.sample(E, seed=5)
    assert a.meta == b.meta
    np.testing.assert_allclose(a.E_mu, b.E_mu, rtol=E_MU_RTOL)
    np.testing.assert_allclose(a.cos_theta, b.cos_theta, atol=COS_ATOL, rtol=0)
    with pytest.raises(ValueError, match="outside the model's range"):
        m.sample(np.array([50.0]), seed=1)
    with pytest.raises(ValueError, match="seed"):
        m.sample(E, seed=-1)


def test_generate_help_states_the_threshold() -> None:
    import inspect

    from nugan.commands.generate_cmd import generate

    helps = [p.default.help for p in inspect.signature(generate.__wrapped__).parameters.values() if p.name == "engine"]
    assert f"{AUTO_NUMPY_MAX_EVENTS:,} events" in helps[0]


def test_default_threads_follow_omp_num_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    from nugan.models.numpy_engine import default_threads

    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert default_threads() == 3 and NumpyGanModel.load("nuwro-C12").threads == 3
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert default_threads() >= 1
