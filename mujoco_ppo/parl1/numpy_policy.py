"""The policy's forward pass in NumPy, which the sampling workers run (no Paddle in them)."""
import numpy as np


class NumpyPolicy:
    """A NumPy copy of a policy model's weights, for the one-row forward passes of sampling: the
    same float32 computation as the model's ``policy`` without a Paddle call per env step.
    Gaussian (``logvars`` present): tanh-bounded means and a fixed std; categorical: logits."""

    def __init__(self, policy_model):
        self.layers = [(fc.weight.numpy(), fc.bias.numpy()) for fc in
                       (policy_model.fc1, policy_model.fc2, policy_model.fc3, policy_model.fc4)]
        self.discrete = policy_model.distribution.discrete
        self.std = (None if self.discrete else
                    np.exp(policy_model.logvars.numpy() / 2.0).astype(np.float32))

    def outputs(self, obs):
        """The means (Gaussian) or the logits (categorical), [N, act_dim]."""
        hidden = np.asarray(obs, dtype=np.float32)
        for i, (weight, bias) in enumerate(self.layers):
            hidden = hidden @ weight
            hidden += bias
            if i < len(self.layers) - 1 or not self.discrete:
                np.tanh(hidden, out=hidden)
        return hidden

    def sample(self, obs, rng):
        """a = mean + exp(logvars / 2) * N(0, I); or the action index i with probability
        softmax(logits)_i, by inverting the cumulative distribution at a uniform draw."""
        outputs = self.outputs(obs)
        if self.discrete:
            probs = np.exp(outputs - outputs.max(axis=1, keepdims=True), dtype=np.float64)
            cumulative = np.cumsum(probs, axis=1)
            draws = rng.random((len(outputs), 1)) * cumulative[:, -1:]
            return np.minimum((cumulative <= draws).sum(axis=1), outputs.shape[1] - 1)
        outputs += self.std * rng.standard_normal(outputs.shape, dtype=np.float32)
        return outputs

    def explore(self, obs, rng):
        """The action of a training step: a sample, clipped to [-1, 1] if continuous."""
        actions = self.sample(obs, rng)
        return actions if self.discrete else np.minimum(np.maximum(actions, -1.0), 1.0)

    def mode(self, obs):
        """The deterministic action: the means, or the index of the largest logit."""
        outputs = self.outputs(obs)
        return outputs.argmax(axis=1) if self.discrete else outputs
