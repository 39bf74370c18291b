"""A Paddle layer's weights and its Adam optimizer's state as the named arrays of a checkpoint
(``PREFIX/structural.name``), and back: what both PPOs' checkpoints and evaluate.py share."""
from ..errors import UserError


def weight_arrays(layer, prefix):
    """The weights of ``layer`` as arrays named ``prefix/name``."""
    return {f"{prefix}/{name}": value.numpy() for name, value in layer.state_dict().items()}


def load_weights(layer, arrays, prefix):
    """Put the arrays named ``prefix/name`` into ``layer``'s weights."""
    import paddle
    head = f"{prefix}/"
    layer.set_state_dict({name[len(head):]: paddle.to_tensor(value)
                          for name, value in arrays.items() if name.startswith(head)})


def check_weights_fit(arrays, model, path, prefix="model"):
    """UserError unless the checkpoint's ``prefix/`` weights have the shapes of ``model``'s."""
    for name, param in model.state_dict().items():
        saved = arrays.get(f"{prefix}/{name}")
        if saved is None or tuple(saved.shape) != tuple(param.shape):
            found = "missing" if saved is None else f"of shape {list(saved.shape)}"
            raise UserError(f"checkpoint {path} does not fit this run's model: {name} is "
                            f"{found}, the model's is {list(param.shape)} (a checkpoint of "
                            f"another environment?).")


def optimizer_arrays(optimizer, layer, prefix):
    """Adam's state under the parameters' structural names (Paddle's own names, like
    linear_4.w_0, depend on how many layers the process created before)."""
    names = {param.name: name for name, param in layer.named_parameters()}
    arrays = {}
    for key, value in optimizer.state_dict().items():
        if not hasattr(value, "numpy"):
            continue  # learning-rate scheduler entries: the rate is constant
        owner = max((n for n in names if key.startswith(n + "_")), key=len)
        arrays[f"{prefix}/{names[owner]}/{key[len(owner) + 1:]}"] = value.numpy()
    return arrays


def restore_optimizer(optimizer, layer, prefix, arrays):
    """Put the state optimizer_arrays captured back into ``optimizer``."""
    import paddle
    state = {}
    for name, param in layer.named_parameters():
        head = f"{prefix}/{name}/"
        for key, value in arrays.items():
            if key.startswith(head):
                state[f"{param.name}_{key[len(head):]}"] = paddle.to_tensor(value)
    optimizer.set_state_dict(state)
