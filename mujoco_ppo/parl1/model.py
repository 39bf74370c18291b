"""MujocoModel: the policy and value networks of PARL's MuJoCo PPO (examples/PPO/mujoco_model.py).

Sizes follow pat-coady/trpo's rule of thumb: three tanh hidden layers whose middle width is
the geometric mean of the outer two, and a learning rate scaled by 1/sqrt(middle width).

    policy: h1 = 10*obs_dim, h3 = 10*act_dim, h2 = int(sqrt(h1*h3)), lr = 9e-4/sqrt(h2)
    value:  h1 = 10*obs_dim, h3 = 5,          h2 = int(sqrt(h1*h3)), lr = 1e-2/sqrt(h2)

``obs_dim`` already counts the time-step feature. Weights use Xavier-uniform initialisation and
zero biases, which is what PARL 1.x's ``layers.fc`` created in the fluid graph.

For a discrete action space (beyond PARL) the policy is categorical: the same tanh MLP with the
number of actions in place of act_dim, whose last layer gives the logits without a tanh (a tanh
would cap every action's probability ratio to the others at e^2), and no ``logvars``.
"""
import math

import paddle
import paddle.nn as nn
import parl

from .config import DEFAULTS
from .distributions import Categorical, DiagGaussian


def _dense(in_size, out_size):
    return nn.Linear(
        in_size,
        out_size,
        weight_attr=nn.initializer.XavierUniform(),
        bias_attr=nn.initializer.Constant(0.0),
    )


def policy_sizes(obs_dim, act_dim):
    """(h1, h2, h3, learning rate) of the policy network."""
    h1, h3 = 10 * obs_dim, 10 * act_dim
    h2 = int(math.sqrt(h1 * h3))
    return h1, h2, h3, 9e-4 / math.sqrt(h2)


def value_sizes(obs_dim):
    """(h1, h2, h3, learning rate) of the value network."""
    h1, h3 = 10 * obs_dim, 5
    h2 = int(math.sqrt(h1 * h3))
    return h1, h2, h3, 1e-2 / math.sqrt(h2)


class _PolicyTrunk(parl.Model):
    """fc1..fc3 with tanh, then the linear fc4 (sizes by ``policy_sizes``)."""

    def __init__(self, obs_dim, out_dim):
        super().__init__()
        h1, h2, h3, self.lr = policy_sizes(obs_dim, out_dim)
        self.fc1 = _dense(obs_dim, h1)
        self.fc2 = _dense(h1, h2)
        self.fc3 = _dense(h2, h3)
        self.fc4 = _dense(h3, out_dim)

    def last_layer(self, obs):
        hidden = paddle.tanh(self.fc1(obs))
        hidden = paddle.tanh(self.fc2(hidden))
        hidden = paddle.tanh(self.fc3(hidden))
        return self.fc4(hidden)


class PolicyModel(_PolicyTrunk):
    """Gaussian policy: tanh-bounded means from an MLP, and a state-independent log-variance."""

    distribution = DiagGaussian

    def __init__(self, obs_dim, act_dim, init_logvar=DEFAULTS.init_logvar):
        super().__init__(obs_dim, act_dim)
        self.act_dim = act_dim
        self.logvars = self.create_parameter(
            shape=[act_dim], dtype="float32",
            default_initializer=nn.initializer.Constant(init_logvar))

    def policy(self, obs):
        """Returns (means [N, act_dim], logvars [act_dim])."""
        return paddle.tanh(self.last_layer(obs)), self.logvars


class CategoricalPolicyModel(_PolicyTrunk):
    """Categorical policy over ``n_actions`` actions: logits from the MLP, no tanh, no logvars."""

    distribution = Categorical

    def __init__(self, obs_dim, n_actions):
        super().__init__(obs_dim, n_actions)
        self.act_dim = n_actions

    def policy(self, obs):
        """Returns (logits [N, n_actions],)."""
        return (self.last_layer(obs),)


class ValueModel(parl.Model):
    """State-value network with a linear output."""

    def __init__(self, obs_dim):
        super().__init__()
        h1, h2, h3, self.lr = value_sizes(obs_dim)
        self.fc1 = _dense(obs_dim, h1)
        self.fc2 = _dense(h1, h2)
        self.fc3 = _dense(h2, h3)
        self.fc4 = _dense(h3, 1)

    def value(self, obs):
        """Returns values of shape [N]."""
        hidden = paddle.tanh(self.fc1(obs))
        hidden = paddle.tanh(self.fc2(hidden))
        hidden = paddle.tanh(self.fc3(hidden))
        return self.fc4(hidden).squeeze(axis=1)


class MujocoModel(parl.Model):
    """The pair of networks that PARL's PPO algorithm trains. ``discrete``: a categorical policy
    over ``act_dim`` actions instead of the Gaussian one."""

    def __init__(self, obs_dim, act_dim, init_logvar=DEFAULTS.init_logvar, discrete=False):
        super().__init__()
        self.policy_model = (CategoricalPolicyModel(obs_dim, act_dim) if discrete
                             else PolicyModel(obs_dim, act_dim, init_logvar))
        self.value_model = ValueModel(obs_dim)
        self.policy_lr = self.policy_model.lr
        self.value_lr = self.value_model.lr

    @property
    def distribution(self):
        return self.policy_model.distribution

    def policy(self, obs):
        return self.policy_model.policy(obs)

    def value(self, obs):
        return self.value_model.value(obs)
