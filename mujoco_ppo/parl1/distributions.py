"""The two action distributions, shared by PPO and TRPO: log-probability, KL(old || new), entropy
and the deterministic (evaluation) action, each on the policy network's outputs.

Diagonal Gaussian (continuous actions), outputs (means [N, k], logvars [k]):
    log p(a)      = -1/2 sum logvar - 1/2 sum (a - mu)^2 / var          (the -k/2 log 2pi dropped)
    KL(old||new)  = 1/2 ( sum (mu - mu_old)^2 / var + sum logvar - sum logvar_old
                          + sum var_old / var - k )
    entropy       = 1/2 sum logvar + k/2 (1 + log 2pi)
    mode          = mu

Categorical (discrete actions), outputs (logits [N, n],), log pi = logits - log sum exp(logits):
    log p(a)      = log pi[a]
    KL(old||new)  = sum_i pi_old[i] (log pi_old[i] - log pi[i])
    entropy       = -sum_i pi[i] log pi[i]
    mode          = argmax_i logits[i]

Every function here is twice differentiable in Paddle's dynamic graph: TRPO's Fisher-vector
product differentiates the KL's gradient again. Paddle 3.3 has no second derivative for
``log_softmax`` or ``logsumexp``, so the log-softmax is written out from exp, sum and log.
"""
import math

import paddle


def log_softmax(logits):
    """logits - log(sum(exp(logits))) along the last axis, shifted by the (constant) row maximum
    so that exp cannot overflow; the shift changes neither the value nor the derivatives."""
    shifted = logits - paddle.max(logits, axis=-1, keepdim=True).detach()
    return shifted - paddle.log(paddle.sum(paddle.exp(shifted), axis=-1, keepdim=True))


class DiagGaussian:
    """Outputs ``(means, logvars)``; actions float32 [N, k]."""

    discrete = False

    @staticmethod
    def logprob(actions, outputs):
        means, logvars = outputs
        squared = paddle.square(actions - means) / paddle.exp(logvars)
        return -0.5 * paddle.sum(logvars) - 0.5 * paddle.sum(squared, axis=1)

    @staticmethod
    def kl(old_outputs, outputs):
        (old_means, old_logvars), (means, logvars) = old_outputs, outputs
        act_dim = means.shape[-1]
        mean_term = paddle.sum(paddle.square(means - old_means) / paddle.exp(logvars), axis=1)
        log_det_term = paddle.sum(logvars) - paddle.sum(old_logvars)
        trace_term = paddle.sum(paddle.exp(old_logvars - logvars))
        return 0.5 * (mean_term + log_det_term + trace_term - act_dim)

    @staticmethod
    def entropy(outputs):
        means, logvars = outputs
        act_dim = means.shape[-1]
        per_sample = 0.5 * paddle.sum(logvars) + 0.5 * act_dim * (1.0 + math.log(2.0 * math.pi))
        return paddle.zeros_like(means[:, 0]) + per_sample  # the same for every sample

    @staticmethod
    def mode(outputs):
        return outputs[0]


class Categorical:
    """Outputs ``(logits,)``; actions int64 [N]."""

    discrete = True

    @staticmethod
    def logprob(actions, outputs):
        log_pi = log_softmax(outputs[0])
        return paddle.take_along_axis(log_pi, actions.reshape([-1, 1]).astype("int64"),
                                      axis=1).squeeze(axis=1)

    @staticmethod
    def kl(old_outputs, outputs):
        old_log_pi, log_pi = log_softmax(old_outputs[0]), log_softmax(outputs[0])
        return paddle.sum(paddle.exp(old_log_pi) * (old_log_pi - log_pi), axis=1)

    @staticmethod
    def entropy(outputs):
        log_pi = log_softmax(outputs[0])
        return -paddle.sum(paddle.exp(log_pi) * log_pi, axis=1)

    @staticmethod
    def mode(outputs):
        return paddle.argmax(outputs[0], axis=1)


def gaussian_logprob(actions, means, logvars):
    """log N(a; mu, diag(exp(logvars))) without the constant -0.5*act_dim*log(2*pi), which
    cancels in every ratio and difference the algorithms take. Shape [N]."""
    return DiagGaussian.logprob(actions, (means, logvars))


def gaussian_kl(old_means, old_logvars, means, logvars):
    """KL(old || new) between diagonal Gaussians, per sample (shape [N])."""
    return DiagGaussian.kl((old_means, old_logvars), (means, logvars))
