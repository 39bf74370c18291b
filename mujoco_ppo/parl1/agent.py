"""MujocoAgent: how PARL's MuJoCo PPO feeds its algorithm (examples/PPO/mujoco_agent.py).

- ``policy_learn``: freeze a copy of the policy, take ``policy_learn_times`` (20) Adam steps on the
  full batch, and, for KLPEN, adapt beta from the KL of the last step (``adapt_beta``). Beyond
  PARL: KLFIXED keeps beta as given, NONE is the penalty objective with beta 0, i.e. the plain
  ratio objective -mean(A*r), and TRPO takes one natural-gradient step instead of the 20
  (mujoco_ppo/parl1/trpo.py).
- ``value_learn``: fit the value net on this batch plus the previous one (pat-coady's replay of
  one batch), ``value_learn_times`` (10) epochs of shuffled minibatches of ``value_batch_size``
  (256), each epoch stopping once the start index reaches the size of the *current* batch.
  ``start_value_learn``/``finish_value_learn`` run the same update in a thread while the next
  batch is sampled (``--overlap_value``).
"""
import threading

import numpy as np
import paddle
import parl

from .config import DEFAULTS
from .numpy_policy import NumpyPolicy
from .objectives import CLIP, KLFIXED, KLPEN, LOSS_TYPES, NONE, TRPO


def adapt_beta(beta, kl, kl_targ):
    """The adaptive KL rule: x1.5 above 2*kl_targ, /1.5 below kl_targ/2, unchanged between."""
    if kl > 2.0 * kl_targ:
        return beta * 1.5
    if kl < kl_targ / 2.0:
        return beta / 1.5
    return beta


def value_minibatches(current_size, combined_size, batch_size, rng):
    """Index arrays of one value epoch: a shuffle of the combined set, cut into minibatches of
    ``batch_size`` for as long as the start index is below ``current_size``."""
    order = rng.permutation(combined_size)
    return [order[start:start + batch_size] for start in range(0, current_size, batch_size)]


def _tensor(array):
    return paddle.to_tensor(np.asarray(array, dtype="float32"))


def _actions_tensor(actions):
    """float32 continuous actions, or int64 indices of discrete ones."""
    actions = np.asarray(actions)
    return paddle.to_tensor(actions if actions.dtype.kind in "iu" else actions.astype("float32"))


class MujocoAgent(parl.Agent):
    def __init__(self, algorithm, kl_targ=DEFAULTS.kl_targ, loss_type=DEFAULTS.loss_type,
                 beta=DEFAULTS.beta, policy_learn_times=DEFAULTS.policy_learn_times,
                 value_learn_times=DEFAULTS.value_learn_times,
                 value_batch_size=DEFAULTS.value_batch_size, rng=None):
        if loss_type not in LOSS_TYPES:
            raise ValueError(f"loss_type must be one of {LOSS_TYPES}, not {loss_type!r}")
        super().__init__(algorithm)
        self.loss_type = loss_type
        self.kl_targ = kl_targ
        self.beta = beta
        self.policy_learn_times = policy_learn_times
        self.value_learn_times = value_learn_times
        self.value_batch_size = value_batch_size
        self.value_learn_buffer = None  # (obs, targets) of the previous batch
        self.rng = rng if rng is not None else np.random.default_rng()
        self.step_fraction = None  # TRPO: the fraction of its last full step taken (0: none)
        self._numpy_policy = None  # taken after each policy update, used while sampling
        self._value_thread = self._value_result = None  # start/finish_value_learn

    def numpy_policy(self):
        """A NumPy copy of the current policy (NumpyPolicy), which sampling workers run."""
        if self._numpy_policy is None:
            self._numpy_policy = NumpyPolicy(self.alg.model.policy_model)
        return self._numpy_policy

    def policy_sample(self, obs):
        """Actions for a batch of scaled observations: mean + exp(logvars/2) * N(0, I), or a
        draw from the categorical distribution."""
        return self.numpy_policy().sample(obs, self.rng)

    def policy_predict(self, obs):
        """The deterministic actions of evaluation: the means, or the most probable actions."""
        return self.numpy_policy().mode(obs)

    def forget_numpy_policy(self):
        """Call after the policy's weights change outside policy_learn."""
        self._numpy_policy = None

    def restore(self, save_path, model=None):
        super().restore(save_path, model)
        self.forget_numpy_policy()

    @paddle.no_grad()
    def value_predict(self, obs):
        return self.alg.value_predict(_tensor(obs)).numpy()

    def policy_learn(self, obs, actions, advantages):
        """Returns (mean loss, mean KL, mean clip fraction) over the policy steps; for TRPO
        (loss, KL) of its one step and no clip fraction (None), its step fraction kept in
        ``step_fraction``."""
        self.alg.sync_old_policy()
        self.forget_numpy_policy()
        obs, actions, advantages = _tensor(obs), _actions_tensor(actions), _tensor(advantages)
        if self.loss_type == TRPO:
            loss, kl, self.step_fraction = self.alg.policy_learn(obs, actions, advantages)
            return loss, kl, None
        beta = {CLIP: None, KLPEN: self.beta, KLFIXED: self.beta, NONE: 0.0}[self.loss_type]
        stats = np.array([self.alg.policy_learn(obs, actions, advantages, beta)
                          for _ in range(self.policy_learn_times)])
        if self.loss_type == KLPEN:
            last_kl = stats[-1, 1]
            self.beta = adapt_beta(self.beta, last_kl, self.kl_targ)
        loss, kl, clip_fraction = stats.mean(axis=0)
        return float(loss), float(kl), float(clip_fraction)

    def value_learn(self, obs, targets):
        """Returns the mean minibatch loss."""
        return self._value_steps(*self._value_minibatches(obs, targets))

    def start_value_learn(self, obs, targets):
        """value_learn in a background thread, so that the next batch can be sampled meanwhile
        (sampling needs only the policy). The minibatch shuffles are drawn here, before the
        sampler draws actions from the same ``rng``, so the run is the serial one draw for
        draw. Paddle's kernels release the GIL; the caller must not touch the value net or its
        optimizer until ``finish_value_learn`` has returned the loss."""
        batches = self._value_minibatches(obs, targets)
        self.numpy_policy()  # the sampler's copy of the policy, taken before the thread runs Paddle
        result = {}

        def run():
            try:
                result["loss"] = self._value_steps(*batches)
            except BaseException as exc:  # re-raised in the caller's thread
                result["error"] = exc
        self._value_thread = threading.Thread(target=run, name="value_learn", daemon=True)
        self._value_thread.start()
        self._value_result = result

    def finish_value_learn(self):
        """Wait for the update begun by ``start_value_learn``; returns its mean minibatch loss."""
        self._value_thread.join()
        result, self._value_thread, self._value_result = self._value_result, None, None
        if "error" in result:
            raise result["error"]
        return result["loss"]

    def _value_minibatches(self, obs, targets):
        """The training rows (this batch, then the previous one) and the minibatch indices of
        all ``value_learn_times`` epochs, drawn in epoch order; the batch becomes the buffer."""
        current_size = obs.shape[0]
        if self.value_learn_buffer is None:
            train_obs, train_targets = obs, targets
        else:
            train_obs = np.concatenate([obs, self.value_learn_buffer[0]])
            train_targets = np.concatenate([targets, self.value_learn_buffer[1]])
        self.value_learn_buffer = (obs, targets)
        batches = [ids for _ in range(self.value_learn_times)
                   for ids in value_minibatches(current_size, len(train_obs),
                                                self.value_batch_size, self.rng)]
        return train_obs, train_targets, batches

    def _value_steps(self, train_obs, train_targets, batches):
        """One Adam step per minibatch. The rows of all minibatches are gathered with one
        index_select and cut with one split, and the losses kept as tensors until one mean at
        the end: per step only the value net's forward, backward and Adam's update remain."""
        ids_t = paddle.to_tensor(np.concatenate(batches))
        sections = [len(ids) for ids in batches]
        obs_batches = paddle.split(paddle.index_select(_tensor(train_obs), ids_t), sections)
        target_batches = paddle.split(paddle.index_select(_tensor(train_targets), ids_t), sections)
        losses = [self.alg.value_learn(obs_batch, target_batch)
                  for obs_batch, target_batch in zip(obs_batches, target_batches)]
        return float(paddle.stack(losses).mean())
