"""PARL 2.x's models (examples/PPO/atari_model.py, mujoco_model.py) and an MLP for discrete
classic control. Each is a ``parl.Model`` with the two methods ``parl.algorithms.PPO`` calls:
``value(obs)`` -> V(s) of shape [batch, 1], and ``policy(obs)`` -> logits (discrete actions) or
(mean, std) of a diagonal Gaussian (continuous actions). PARL's two models share one trunk between
policy and value; the classic-control model has two networks, as cleanrl's.
"""
import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F
import parl


class AtariModel(parl.Model):
    """Nature-DQN convolutions (32x8x8/4, 64x4x4/2, 64x3x3/1) and a 512-unit layer on 4 stacked
    84x84 frames scaled to [0, 1]; a linear softmax head and a linear value head.

    ``parl.algorithms.PPO`` calls ``value(obs)`` and then ``policy(obs)`` on the same tensor (in
    ``learn`` and in ``sample``); PARL's model runs the convolutions twice for that pair. Here
    ``value`` leaves its trunk output for the ``policy`` call that follows on the same tensor,
    so the CNN runs once forward and once backward per minibatch: the same function and the
    same gradient (autograd sums both heads' contributions), at about half the cost."""

    def __init__(self, obs_space, act_space):
        super().__init__()
        self.conv1 = nn.Conv2D(obs_space.shape[0], 32, 8, stride=4)
        self.conv2 = nn.Conv2D(32, 64, 4, stride=2)
        self.conv3 = nn.Conv2D(64, 64, 3, stride=1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(64 * 7 * 7, 512)
        self.fc_pi = nn.Linear(512, act_space.n)
        self.fc_v = nn.Linear(512, 1)
        self.share_trunk = True
        self._left_by_value = None  # (obs, grad enabled, trunk output) of the last value() call

    def _features(self, obs):
        out = F.relu(self.conv1(obs / 255.0))
        out = F.relu(self.conv2(out))
        out = F.relu(self.conv3(out))
        return F.relu(self.fc(self.flatten(out)))

    def value(self, obs):
        features = self._features(obs)
        if self.share_trunk:
            self._left_by_value = (obs, paddle.is_grad_enabled(), features)
        return self.fc_v(features)

    def policy(self, obs):
        left, self._left_by_value = self._left_by_value, None  # used at most once
        if left is not None and left[0] is obs and left[1] == paddle.is_grad_enabled():
            return self.fc_pi(left[2])
        return self.fc_pi(self._features(obs))


class _TanhTrunk(parl.Model):
    """Two tanh layers of 64 units and a linear head of ``out_dim`` (PARL's MujocoModel's
    trunk; ``value`` is its output)."""

    def __init__(self, obs_dim, out_dim=1):
        super().__init__()
        self.fc1 = nn.Linear(obs_dim, 64)
        self.fc2 = nn.Linear(64, 64)
        self.fc_value = nn.Linear(64, out_dim)

    def _features(self, obs):
        return paddle.tanh(self.fc2(paddle.tanh(self.fc1(obs))))

    def value(self, obs):
        return self.fc_value(self._features(obs))


class MujocoModel(_TanhTrunk):
    """Gaussian policy: mean from a linear head, std = exp(log_std) with a state-independent
    log_std initialised to 0."""

    def __init__(self, obs_space, act_space):
        super().__init__(obs_space.shape[0])
        act_dim = int(np.prod(act_space.shape))
        self.fc_policy = nn.Linear(64, act_dim)
        self.fc_pi_std = self.create_parameter(
            [1, act_dim], dtype="float32", default_initializer=nn.initializer.Constant(0.0))

    def policy(self, obs):
        return self.fc_policy(self._features(obs)), paddle.exp(self.fc_pi_std)


class ClassicModel(parl.Model):
    """Softmax policy for discrete actions on a flat observation (CartPole-v1), with cleanrl's
    ppo.py network: separate actor and critic MLPs of two tanh layers of 64 units. (A shared
    trunk, as in MujocoModel, lets the value loss of CartPole's unnormalised returns, up to
    about 100, dominate the clipped gradient, and learns several times slower.)"""

    def __init__(self, obs_space, act_space):
        super().__init__()
        self.actor = _TanhTrunk(obs_space.shape[0], act_space.n)
        self.critic = _TanhTrunk(obs_space.shape[0], 1)

    def value(self, obs):
        return self.critic.value(obs)

    def policy(self, obs):
        return self.actor.value(obs)


MODELS = {"atari": AtariModel, "mujoco": MujocoModel, "classic": ClassicModel}
