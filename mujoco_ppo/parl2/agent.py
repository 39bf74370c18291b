"""PARL 2.x's PPOAgent (examples/PPO/agent.py): turns NumPy observations into tensors for
``parl.algorithms.PPO`` and runs its update: ``update_epochs`` passes over the rollout, each in
``num_minibatches`` shuffled minibatches, one ``PPO.learn`` call (one Adam step) per minibatch,
with the learning rate decayed linearly to 0 over the run (PARL's LinearDecayScheduler):

    lr_k = initial_lr * (1 - k / num_updates)     for the k-th update, k = 1..num_updates
"""
import numpy as np
import paddle
import parl
from parl.utils.scheduler import LinearDecayScheduler


class PPOAgent(parl.Agent):
    def __init__(self, algorithm, config, rng):
        """``rng``: the NumPy generator that shuffles minibatches (PARL uses NumPy's global one;
        an own generator can be saved in a checkpoint)."""
        super().__init__(algorithm)
        self.config, self.rng = config, rng
        self.lr_scheduler = (LinearDecayScheduler(config["initial_lr"], config["num_updates"])
                             if config["lr_decay"] else None)

    def predict(self, obs):
        """Deterministic actions (argmax, or the Gaussian mean) for a batch of observations."""
        return self.alg.predict(paddle.to_tensor(obs, dtype="float32")).numpy()

    def sample(self, obs):
        """(values [N], actions, log-probabilities [N]) of sampled actions for N observations."""
        value, action, logprob, _ = self.alg.sample(paddle.to_tensor(obs, dtype="float32"))
        return value.numpy().reshape(-1), action.numpy()[0], logprob.numpy()[0]

    def value(self, obs):
        return self.alg.value(paddle.to_tensor(obs, dtype="float32")).numpy().reshape(-1)

    def learn(self, rollout):
        """One update from ``rollout`` (its advantages computed). Returns the mean over its
        minibatches of the value loss, policy loss and entropy, and the learning rate used."""
        lr = self.lr_scheduler.step(step_num=1) if self.lr_scheduler else None
        batch_size = self.config["batch_size"]
        minibatch_size = batch_size // self.config["num_minibatches"]
        indexes = np.arange(batch_size)
        totals = np.zeros(3)
        for _ in range(self.config["update_epochs"]):
            self.rng.shuffle(indexes)
            for start in range(0, batch_size, minibatch_size):
                batch = rollout.sample_batch(indexes[start:start + minibatch_size])
                totals += self.alg.learn(*(paddle.to_tensor(x) for x in _learn_order(batch)), lr)
        value_loss, action_loss, entropy = totals / (self.config["update_epochs"]
                                                     * self.config["num_minibatches"])
        return value_loss, action_loss, entropy, self.alg.optimizer.get_lr()


def _learn_order(batch):
    """RolloutStorage.sample_batch's order -> PPO.learn's (obs, action, value, return, logprob,
    advantage)."""
    obs, action, logprob, advantage, ret, value = batch
    return obs, action, value, ret, logprob, advantage
