import pytest

from hsbench.cnn.models import MODELS, build_model_standard


@pytest.mark.parametrize("classes, params", [(16, 578_544), (58, 583_962)])
def test_standard_model_matches_seed_parameter_counts(classes, params):
    model = build_model_standard((9, 9, 220, 1), classes)
    assert model.count_params() == params
    assert model.name == "standard" and model.output_shape == (None, classes)
    # the seed's printed shapes: conv3d_1 (7, 7, 216, 48), flatten (3456)
    assert model.layers[0].output.shape[1:] == (7, 7, 216, 48)
    assert model.layers[8].output.shape[1:] == (3456,)


def test_adapts_to_band_count_and_registry():
    model = MODELS["standard"]((9, 9, 200, 1), 16)
    assert model.input_shape == (None, 9, 9, 200, 1) and not model.compiled
