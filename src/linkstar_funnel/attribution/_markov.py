"""Markov-chain attribution, solved exactly from the absorbing chain (no simulation).

The chain: states are channels (order 1) or runs of ``order`` consecutive channels, plus
``(start)`` and two absorbing states ``(conversion)`` and ``(null)``. Each journey that
occurred ``w = conversions + nulls`` times adds ``w`` to every transition along its states
(``(start)`` → first → ... → last), ``conversions`` to last → ``(conversion)`` and ``nulls``
to last → ``(null)``; transition probabilities are the row-normalised counts. This is
ChannelAttribution's chain, including its default of merging consecutive identical states.

Removing channel ``c`` sends every state containing ``c`` to ``(null)``. With ``Q`` the
transient block and ``r`` the one-step conversion probabilities, the expected visits from
``(start)`` solve ``(I - Q_c)ᵀ v = e_start`` and ``P(conversion) = v · r_c``; expected value
is ``v · (r_c * v̄)`` where ``v̄`` is the mean value of conversions leaving each state. The
removal effect ``1 - P_c / P`` equals P(the converting walk visits ``c``), which is what
ChannelAttribution estimates by simulation; here it is exact. Credit is the total
conversions (value) split in proportion to the removal effects.
"""

from __future__ import annotations

from typing import Literal

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._params import Integer, Options
from ._journeys import Journeys, weighted_bincount
from ._result import MarkovResult, provenance
from ._rules import ATTRIBUTE

__all__ = ["Markov"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_DENSE_MAX = 1500


@attrs.frozen
class Markov:
    """Removal-effect attribution from an order-``k`` absorbing Markov chain, solved exactly.

    Parameters
    ----------
    order
        Memory of the chain: states are runs of ``order`` consecutive touches (journeys
        shorter than that are one state).
    repeats
        ``"collapse"`` (default, as ChannelAttribution) merges consecutive identical
        states, so ``a > a > b`` is ``a > b`` at order 1; ``"keep"`` keeps self-loops.

    Notes
    -----
    Non-converting journeys (``nulls``) are what make removal effects differ between
    channels; without them every converting path converts with probability 1 and the
    chain reduces to "share of conversions whose path contains the channel".

    Examples
    --------
    >>> import pandas as pd
    >>> import linkstar_funnel.attribution as la
    >>> df = pd.DataFrame({"path": ["a > b", "a", "b > c"], "conv": [2, 1, 1],
    ...                    "null": [1, 3, 2]})
    >>> j = la.Journeys.from_paths(df, conversions="conv", null="null")
    >>> res = la.Markov().attribute(j)
    >>> res.to_frame()[["channel", "conversions"]].round(4)
      channel  conversions
    0       b       1.8462
    1       a       1.5385
    2       c       0.6154
    >>> round(res.conversion_probability, 4)
    0.4
    """

    order: int = attrs.field(default=1, validator=Integer(1))
    repeats: Literal["collapse", "keep"] = attrs.field(
        default="collapse", validator=Options("collapse", "keep")
    )

    @property
    def name(self) -> str:
        """Display name."""
        return "Markov" if self.order == 1 else f"Markov (order {self.order})"

    @ATTRIBUTE
    def attribute(self, journeys: Journeys) -> MarkovResult:
        """Fit the chain on ``journeys`` and credit channels by their removal effects."""
        # A run longer than the longest journey is the whole journey: the same chain.
        order = min(self.order, int(journeys.lengths.max(initial=1)))
        states, state_offsets, labels, contains = _states(journeys, order, self.repeats)
        n_states = len(labels)
        counts, conv_end, val_end = _counts(journeys, states, state_offsets, n_states)
        start, n_transient = n_states, n_states + 1
        totals = np.asarray(counts.sum(axis=1)).ravel()
        probs = counts.copy()
        row_of = np.repeat(np.arange(len(totals)), np.diff(probs.indptr))
        probs.data = probs.data / totals[row_of]  # rows with a stored entry have total > 0
        q = probs[:n_transient, :n_transient]
        r = np.zeros(n_transient)
        r[:n_states] = np.asarray(probs[:n_states, n_states + 1].todense()).ravel()
        vbar = np.zeros(n_transient)
        vbar[:n_states] = np.divide(val_end, conv_end, out=np.zeros(n_states), where=conv_end > 0)

        keep_all = np.ones(n_transient, dtype=bool)
        base_p, base_v = _absorb(q, r, vbar, keep_all, start)
        n_ch = journeys.n_channels
        re_conv = np.zeros(n_ch)
        re_val = np.zeros(n_ch)
        for c in range(n_ch):
            keep = keep_all.copy()
            keep[:n_states] = ~contains[:, c]
            p_c, v_c = _absorb(q, r, vbar, keep, start)
            re_conv[c] = 1.0 - p_c / base_p if base_p > 0 else 0.0
            re_val[c] = 1.0 - v_c / base_v if base_v > 0 else 0.0
        # Round-off can leave -1e-17 for channels on no converting path.
        re_conv = np.clip(re_conv, 0.0, 1.0)
        re_val = np.clip(re_val, 0.0, 1.0)
        conv = _split(journeys.total_conversions, re_conv)
        val = _split(journeys.total_value, re_val)

        notes = [f"Markov chain of order {self.order}, {n_states:,} states, solved exactly"]
        if self.repeats == "collapse":
            notes.append("consecutive identical states merged")
        if journeys.total_nulls == 0:
            notes.append("no non-converting journeys: removal effects use converting paths only")
        return MarkovResult(
            model=self,
            channels=journeys.channels,
            conversions=conv,
            value=val,
            total_conversions=journeys.total_conversions,
            total_value=journeys.total_value,
            n_journeys=journeys.n_journeys,
            provenance=provenance(self, journeys, notes),
            removal_effects=pd.DataFrame(
                {
                    "channel": list(journeys.channels),
                    "removal_effect": re_conv,
                    "removal_effect_value": re_val,
                }
            ),
            transition_matrix=_transition_frame(probs, labels),
            conversion_probability=float(base_p),
        )


def _split(total: float, weights: FloatArray) -> FloatArray:
    s = weights.sum()
    return total * weights / s if s > 0 else np.zeros_like(weights)


def _states(
    journeys: Journeys, order: int, repeats: str
) -> tuple[IntArray, IntArray, list[str], npt.NDArray[np.bool_]]:
    """Per-journey state sequences (CSR), state labels, and states x channels membership."""
    touches, offsets, lengths = journeys.touches, journeys.offsets, journeys.lengths
    names = journeys.channels
    joiner = f" {journeys.sep} "
    n_ch = journeys.n_channels
    if order == 1:
        states = touches.copy()
        n_win = lengths
        labels = list(names)
        contains = np.eye(n_ch, dtype=bool)
    else:
        n_win = np.maximum(lengths - order + 1, 1)
        win_journey = np.repeat(np.arange(journeys.n_journeys), n_win)
        win_offsets = np.concatenate([[0], np.cumsum(n_win)])
        start = offsets[win_journey] + (np.arange(len(win_journey)) - win_offsets[win_journey])
        rows = np.zeros((len(start), order), dtype=np.int64)
        for i in range(order):
            valid = i < lengths[win_journey]
            idx = np.minimum(start + i, len(touches) - 1)
            rows[:, i] = np.where(valid, touches[idx] + 1, 0)
        uniq, inverse = np.unique(rows, axis=0, return_inverse=True)
        states = np.asarray(inverse, dtype=np.int64).ravel()
        labels = [joiner.join(names[v - 1] for v in row if v > 0) for row in uniq.tolist()]
        contains = np.zeros((len(uniq), n_ch), dtype=bool)
        for i in range(order):
            nz = uniq[:, i] > 0
            contains[np.flatnonzero(nz), uniq[nz, i] - 1] = True
    state_offsets = np.concatenate([[0], np.cumsum(n_win)]).astype(np.int64)
    if repeats == "collapse" and len(states):
        first = np.zeros(len(states), dtype=bool)
        first[state_offsets[:-1]] = True
        keep = first.copy()
        keep[1:] |= states[1:] != states[:-1]
        kept_per = np.add.reduceat(keep.astype(np.int64), state_offsets[:-1])
        states = states[keep]
        state_offsets = np.concatenate([[0], np.cumsum(kept_per)]).astype(np.int64)
    return states, state_offsets, labels, contains


def _counts(
    journeys: Journeys, states: IntArray, offsets: IntArray, n_states: int
) -> tuple[sp.csr_matrix, FloatArray, FloatArray]:
    """Transition counts over ``[states..., start, conversion, null]``; value leaving states."""
    start, conv_state, null_state = n_states, n_states + 1, n_states + 2
    # Probabilities and removal effects do not depend on the scale of the counts or of
    # the value: dividing by their maxima keeps every sum far from overflow.
    conv, nulls, value = _unit_scale(journeys.conversions, journeys.nulls, journeys.value)
    weight = conv + nulls
    first, last = offsets[:-1], offsets[1:] - 1
    sj = np.repeat(np.arange(journeys.n_journeys), np.diff(offsets))
    inner = np.ones(len(states), dtype=bool)
    inner[last] = False
    src = np.concatenate([np.full(len(first), start), states[inner], states[last], states[last]])
    dst = np.concatenate(
        [
            states[first],
            states[1:][inner[:-1]],
            np.full(len(last), conv_state),
            np.full(len(last), null_state),
        ]
    )
    w = np.concatenate([weight, weight[sj[inner]], conv, nulls])
    size = n_states + 3
    counts = sp.coo_matrix((w, (src, dst)), shape=(size, size)).tocsr()
    counts.sum_duplicates()
    counts.eliminate_zeros()
    conv_end = weighted_bincount(states[last], conv, n_states)
    val_end = weighted_bincount(states[last], value, n_states)
    return counts, conv_end, val_end


def _unit_scale(
    conv: FloatArray, nulls: FloatArray, value: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Counts divided by their common maximum, value by its own (both ≤ 1 after)."""
    scale = max(float(conv.max(initial=0.0)), float(nulls.max(initial=0.0))) or 1.0
    v_scale = float(value.max(initial=0.0)) or 1.0
    return conv / scale, nulls / scale, value / v_scale


def _absorb(
    q: sp.csr_matrix, r: FloatArray, vbar: FloatArray, keep: npt.NDArray[np.bool_], start: int
) -> tuple[float, float]:
    """P(conversion) and expected value from ``start`` when states not in ``keep`` go to null."""
    n = q.shape[0]
    k = keep.astype(np.float64)
    rhs = np.zeros(n)
    rhs[start] = 1.0
    # Expected visits v solve (I - D Q)^T v = e_start, with D = diag(keep).
    if n <= _DENSE_MAX:
        a = np.eye(n) - (q.toarray() * k[:, None]).T
        v = np.linalg.solve(a, rhs)
    else:
        a_sp = sp.identity(n, format="csc") - (sp.diags(k) @ q).T.tocsc()
        v = np.asarray(spla.spsolve(a_sp, rhs), dtype=np.float64)
    rk = r * k
    return float(v @ rk), float(v @ (rk * vbar))


def _transition_frame(probs: sp.csr_matrix, labels: list[str]) -> pd.DataFrame:
    """Non-zero transition probabilities, long format: ``from``, ``to``, ``probability``."""
    names = np.array([*labels, "(start)", "(conversion)", "(null)"], dtype=object)
    coo = probs.tocoo()
    order = np.lexsort((coo.col, coo.row))
    rows, cols, vals = coo.row[order], coo.col[order], coo.data[order]
    nz = vals > 0
    return pd.DataFrame({"from": names[rows[nz]], "to": names[cols[nz]], "probability": vals[nz]})
