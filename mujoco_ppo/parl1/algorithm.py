"""PPO: the algorithm of PARL 1.x (parl/algorithms/fluid/ppo.py), for Paddle's dynamic graph.

Two surrogate objectives (Schulman et al. 2017, arXiv:1707.06347, eqs. 7 and 8):

    CLIP:   L = -mean( min(A*r, A*clip(r, 1-eps, 1+eps)) ),     r = exp(logp - logp_old)
    KLPEN:  L = -mean( A*r ) + beta * mean( KL(old || new) )

Each ``policy_learn`` call is one Adam step on the whole batch; the agent makes 20 of them. As in
PARL, ``beta=None`` selects CLIP and a number selects the penalty objective with that beta (the
agent's KLFIXED and NONE options pass a fixed beta and 0).

``PolicyAlgorithm`` holds what PPO shares with TRPO (mujoco_ppo/parl1/trpo.py): the frozen copy
of the policy, the surrogate's ratio and KL on a batch, and the value function's Adam step.
The action distribution (Gaussian or categorical) is the model's (mujoco_ppo/parl1/distributions.py).
"""
import copy

import paddle
import parl

from .config import DEFAULTS


def clip_objective(ratio, advantages, epsilon):
    """-mean(min(A*r, A*clip(r, 1-eps, 1+eps))): no gradient through samples whose ratio has
    left the clip range on the side that the advantage favours."""
    clipped = paddle.clip(ratio, 1.0 - epsilon, 1.0 + epsilon)
    return -paddle.mean(paddle.minimum(advantages * ratio, advantages * clipped))


def klpen_objective(ratio, advantages, kl, beta):
    """-mean(A*r) + beta*KL, with KL already averaged over the batch."""
    return -paddle.mean(advantages * ratio) + beta * kl


class PolicyAlgorithm(parl.Algorithm):
    """The frozen policy (logp_old and the KL's reference), the ratio r and KL(old || new) of a
    batch, and the value function's Adam optimizer: everything but the policy update itself."""

    def __init__(self, model, value_lr):
        super().__init__(model)
        self.distribution = model.distribution
        self.old_policy_model = copy.deepcopy(model.policy_model)
        for param in self.old_policy_model.parameters():
            param.stop_gradient = True
        self._old_outputs = None  # the frozen policy's outputs on the current batch
        # not Adam's multi-tensor mode: its fused kernel rounds differently (1e-6 in the weights
        # after 1,000 steps), which changes every earlier run, for a gain lost in the noise here
        self.value_optimizer = paddle.optimizer.Adam(
            learning_rate=value_lr, parameters=model.value_model.parameters())

    def predict(self, obs):
        """Deterministic action: the Gaussian's mean, or the most probable discrete action."""
        return self.distribution.mode(self.model.policy(obs))

    def value_predict(self, obs):
        return self.model.value(obs)

    def sync_old_policy(self):
        self.model.policy_model.sync_weights_to(self.old_policy_model)
        self._old_outputs = None

    def _old_policy_outputs(self, obs, actions):
        """(outputs, logprob) of the frozen policy. It does not change between syncs, so the
        steps on one batch compute it once (PARL's graph recomputed it every step)."""
        cached = self._old_outputs
        if cached is None or cached[0] is not obs or cached[1] is not actions:
            with paddle.no_grad():
                old_outputs = self.old_policy_model.policy(obs)
                old_logprob = self.distribution.logprob(actions, old_outputs)
            cached = self._old_outputs = (obs, actions, old_outputs, old_logprob)
        return cached[2:]

    def ratio_and_kl(self, obs, actions):
        """r = exp(logp - logp_old) per sample, and the batch-mean KL(old || new)."""
        old_outputs, old_logprob = self._old_policy_outputs(obs, actions)
        outputs = self.model.policy(obs)
        ratio = paddle.exp(self.distribution.logprob(actions, outputs) - old_logprob)
        kl = paddle.mean(self.distribution.kl(old_outputs, outputs))
        return ratio, kl

    def value_learn(self, obs, targets):
        """One Adam step on the mean squared error to the discounted-return targets. Returns the
        loss as a 0-d tensor (no host sync per step; the agent averages them once)."""
        loss = paddle.mean(paddle.square(self.model.value(obs) - targets))
        loss.backward()
        self.value_optimizer.step()
        self.value_optimizer.clear_grad(set_to_zero=False)  # drop the gradients, no zero-fill
        return loss.detach()


class PPO(PolicyAlgorithm):
    def __init__(self, model, act_dim, policy_lr, value_lr, epsilon=DEFAULTS.clip_epsilon):
        """model: a MujocoModel; epsilon: the clip range of the CLIP objective."""
        super().__init__(model, value_lr)
        self.act_dim = act_dim
        self.epsilon = epsilon
        self.policy_optimizer = paddle.optimizer.Adam(
            learning_rate=policy_lr, parameters=model.policy_model.parameters())

    def policy_loss(self, obs, actions, advantages, beta=None):
        """The surrogate loss (CLIP if beta is None, else KLPEN), with its batch-mean KL and
        the fraction of samples whose ratio lies outside [1-eps, 1+eps]. Nothing is updated."""
        ratio, kl = self.ratio_and_kl(obs, actions)
        if beta is None:
            loss = clip_objective(ratio, advantages, self.epsilon)
        else:
            loss = klpen_objective(ratio, advantages, kl, beta)
        with paddle.no_grad():
            clip_fraction = paddle.mean(
                (paddle.abs(ratio - 1.0) > self.epsilon).astype("float32"))
        return loss, kl, clip_fraction

    def policy_learn(self, obs, actions, advantages, beta=None):
        """One Adam step on the surrogate loss. Returns (loss, kl, clip_fraction) of the forward
        pass before the step, as PARL's fetch list did."""
        loss, kl, clip_fraction = self.policy_loss(obs, actions, advantages, beta)
        self.policy_optimizer.clear_grad()
        loss.backward()
        self.policy_optimizer.step()
        return float(loss), float(kl), float(clip_fraction)
