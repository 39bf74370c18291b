"""Scaler (mujoco_ppo/parl1/scaler.py): pooled statistics equal to NumPy's on the concatenated
data, the scale and offset, the time feature untouched."""
import numpy as np
import pytest

from mujoco_ppo.parl1.scaler import Scaler

pytestmark = pytest.mark.unit


def test_pooled_statistics_equal_numpy_on_the_concatenated_data():
    rng = np.random.default_rng(0)
    batches = [rng.normal(loc=3.0, scale=2.0, size=(n, 5)) for n in (7, 130, 1, 42)]
    scaler = Scaler(5)
    for i, x in enumerate(batches):
        scaler.update(x)
        seen = np.concatenate(batches[:i + 1])
        np.testing.assert_allclose(scaler.means, seen.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(scaler.vars, seen.var(axis=0), rtol=1e-9)
        assert scaler.count == len(seen)


def test_scale_and_offset_formula_and_the_untouched_time_feature():
    scaler = Scaler(3)
    x = np.array([[0.0, 10.0, 0.000], [2.0, 10.0, 0.001], [4.0, 10.0, 0.002]])
    scaler.update(x)
    scale, offset = scaler.get()
    var0 = np.var([0.0, 2.0, 4.0])  # 8/3
    assert scale[0] == pytest.approx(1 / (np.sqrt(var0) + 0.1) / 3)
    assert scale[1] == pytest.approx(1 / 0.1 / 3)  # a constant column: var 0
    assert offset[:2].tolist() == pytest.approx([2.0, 10.0])
    assert (scale[-1], offset[-1]) == (1.0, 0.0)
    assert scaler.means[-1] == pytest.approx(0.001)  # tracked all the same


def test_variance_never_goes_negative():
    scaler = Scaler(2)
    big = np.full((1000, 2), 1e8)
    scaler.update(big)
    scaler.update(big + 1e-7)
    assert np.all(scaler.vars >= 0.0)
