"""Classification losses on logits, each with its gradient: cross-entropy and its relatives.

Every loss takes logits ``x`` (vectors along ``axis``) and a target class ``t``
(an integer, or an integer array broadcast over the vectors; classes count
from 0) and returns ``(loss, grad)``: the loss per vector (the vector axis
reduced) and its gradient with respect to ``x`` (the shape of ``x``). Float16
and float32 are computed in float64 and rounded once; the output dtype is the
input's.

=================  ===========================================  ==================
loss               value                                        gradient
=================  ===========================================  ==================
cross-entropy      ``LSE(z) − z_t``, ``z = x/τ``                ``(p − y)/τ``
label smoothing    target ``y = (1−ε)·onehot(t) + ε/n``         ``(p − y)/τ``
``−p_t``           ``−softmax(z)_t``                            ``−p_t(onehot − p)/τ``
AM-softmax         cross-entropy on ``s·(c − m·onehot(t))``     ``s·(p − onehot)``
sparsemax loss     ``½ − z_t + Σ_S ½(z_i² − λ²)``               ``(p − onehot)/τ``
entmax loss        ``(p − onehot)ᵀz + H_α(p)``                  ``(p − onehot)/τ``
=================  ===========================================  ==================

How they stay accurate:

* cross-entropy is never ``−log(softmax(x)_t)`` (that underflows to ``inf``
  once ``p_t`` is below ``1e−308``): it is ``LSE(z) − z_t`` formed as
  ``−log_softmax(x)_t`` by :func:`~softmax_cli.exp_family.log_softmax`, i.e.
  ``(m − x_t)/τ + log1p(Σ_{j≠k} e^{(x_j − m)/τ})`` with the rounding error of
  every difference kept -- a sum of two non-negative terms, so it is right to
  an ULP or two whether ``p_t ≈ 1e−300`` or ``1 − p_t ≈ 1e−18``;
* ``1 − p_t`` in every gradient is ``Σ_{j≠t} p_j``, not a subtraction;
* AM-softmax forms ``s·(c_j − c_t + m)`` in double-double arithmetic before the
  log-sum-exp;
* the sparsemax and entmax (Fenchel–Young) losses are evaluated as a sum of
  non-negative terms: ``Σ_{i≠t} p_i^α/α + T(p_t) + max(ν − z_t, 0)·[p_t = 0]``,
  where ``T`` is the Bregman term of the target entry (a power series in
  ``1 − p_t`` near 1) and ``ν = λ/(α−1)`` the threshold; so ``L ≥ 0`` always,
  and ``L = 0`` exactly when ``p = onehot(t)``.

:data:`softmax_cli.registry.LOSSES` holds their records (name, parameters,
oracle, twins) for the command line (``softmax grad --loss``, ``softmax compare``).

Examples
--------
>>> loss, grad = cross_entropy([0.0, 690.0], 0)
>>> float(loss), grad.tolist()
(690.0, [-1.0, 1.0])
>>> loss, grad = sparsemax_loss([1.0, 2.0, 2.5], 2)
>>> float(loss), grad.tolist()
(0.0625, [0.0, 0.25, -0.25])

Every loss takes ``where=`` and ``empty=`` (:func:`softmax_cli._masks.masked_loss`).

The softmax losses live in :mod:`softmax_cli.softmax_losses`, the Fenchel–Young ones in
:mod:`softmax_cli.fenchel_young`, what they share in :mod:`softmax_cli._loss_arrays`;
this module is where they are imported from.
"""

from __future__ import annotations

from ._loss_arrays import check_targets
from .fenchel_young import entmax_loss, sparsemax_loss
from .records import Loss
from .softmax_losses import (
    am_softmax,
    check_margin,
    check_scale,
    check_smoothing,
    cross_entropy,
    cross_entropy_naive,
    cross_entropy_shifted,
    neg_prob,
)

__all__ = [
    "Loss",
    "am_softmax",
    "check_margin",
    "check_scale",
    "check_smoothing",
    "check_targets",
    "cross_entropy",
    "cross_entropy_naive",
    "cross_entropy_shifted",
    "entmax_loss",
    "neg_prob",
    "sparsemax_loss",
]
