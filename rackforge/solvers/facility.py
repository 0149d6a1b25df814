"""Facility power chain: element losses and the load flow of a radial chain under many outage scenarios.

Pure layer: numpy arrays and SI floats in and out ([W], [V], [A], [ohm], [m]).

The chain is a directed acyclic graph of elements numbered in topological order (every element after all its
upstream candidates): sources (utility, generator), transformers, UPS systems, fixed-efficiency elements
(switchgear, STS, RPP) and busway runs. An element with several upstream candidates is a transfer (STS, ATS,
main-tie-main): it takes the first candidate alive, in order. Racks hang from busway runs through their feeds:
a *rack group* (racks of one definition on the same set of runs) draws its total input power through its feeds
in fixed shares; when some of its feeds are dead the live ones carry the whole load in proportion to their
shares (dual-corded IT: the live cords pick up what the dead ones carried), and when all are dead the group is
dropped. Loads are active power at the operating point, constant (they do not depend on voltage); every
element carries the same power factor ``pf`` (apparent power ``S = P / pf``).

Element laws (``P_out`` what the element delivers downstream, ``P_in`` what it draws from upstream):

* transformer: ``P_in = P_out + P0 + Pk (S / S_r)^2`` with ``S = P_out / pf`` (no-load and load losses at
  rated current; IEC 60076-1:2011 sec. 3.6, IEC 60076-20:2017 for the efficiency at a load factor);
* UPS: ``P_in = P_out / eta(P_out / P_r)``, ``eta`` interpolated linearly in the catalog's efficiency points
  (IEC 62040-3:2021 Annex J, efficiency at 25/50/75/100 % load), flat outside them;
* fixed efficiency (switchgear, STS, RPP): ``P_in = P_out / eta``;
* busway run with ``n`` identical taps at pitch ``p`` after a lead-in ``l0``, fed at one end, three-phase
  with phase resistance ``r'`` [ohm/m]: segment ``k`` (counted from the far end) carries ``k/n`` of the run
  current ``I = P_out / (sqrt(3) V pf)``, so the copper loss is
  ``3 I^2 r' (l0 + p sum_{k=1..n} k^2 / n^2) = 3 I^2 r' (l0 + p (n+1)(2n+1) / (6 n))`` and the voltage drop at
  the far tap is ``sqrt(3) I r' (l0 + p (n+1)/2)`` (resistive part only; see :func:`busway_run`). Here
  ``P_in = P_out + 3 I^2 R_eff``.

References
----------
IEC 60076-1:2011, *Power transformers - Part 1: General* (no-load and load loss).
IEC 62040-3:2021, *UPS - Part 3: Method of specifying the performance and test requirements*, Annex J.
Schneider Electric, *Electrical Installation Guide* (2018), ch. E (busway voltage drop and losses).
"""
from __future__ import annotations

import math

import numpy as np

SQRT3 = math.sqrt(3.0)

# element kinds
K_SOURCE, K_TRANSFORMER, K_UPS, K_FIXED, K_BUSWAY = 0, 1, 2, 3, 4


def transformer_losses(s_va, s_rated_va, p0_w, pk_w):
    """Losses of a transformer [W] at apparent load ``s_va`` [VA].

    .. math:: P_{loss} = P_0 + P_k (S / S_r)^2

    Parameters
    ----------
    s_va : array_like
        Apparent power through the transformer [VA].
    s_rated_va : float
        Rated apparent power [VA].
    p0_w : float
        No-load loss at rated voltage [W].
    pk_w : float
        Load loss at rated current [W].

    References
    ----------
    IEC 60076-1:2011 sec. 3.6.1 (no-load loss), 3.6.2 (load loss).
    """
    x = np.asarray(s_va, dtype=float) / s_rated_va
    return p0_w + pk_w * x * x


def ups_input_power(p_out_w, rating_w, load_frac, eta):
    """UPS input power [W] for output ``p_out_w`` [W]: ``P_out / eta(P_out / P_r)``.

    Parameters
    ----------
    p_out_w : array_like
        Output active power [W].
    rating_w : float
        Rated output active power [W].
    load_frac, eta : array_like
        Efficiency curve: load fractions [-] (increasing) and efficiencies [-] there.

    References
    ----------
    IEC 62040-3:2021 Annex J (UPS efficiency at 25, 50, 75 and 100 % of rated load).
    """
    p = np.asarray(p_out_w, dtype=float)
    e = np.interp(p / rating_w, load_frac, eta)
    return p / e


def busway_run(n_taps, pitch_m, lead_in_m, r_phase_ohm_m):
    """Effective resistances of a busway run with ``n_taps`` equal loads at ``pitch_m`` after ``lead_in_m``.

    Returns ``(r_loss, r_drop)`` [ohm]: the three-phase copper loss is ``3 I^2 r_loss`` and the line-to-line
    voltage drop at the far tap ``sqrt(3) I r_drop`` for a run current ``I`` [A] (resistive drop; the
    reactive term ``X sin(phi)`` is small at power factor 0.99 and left out).

    .. math::
        r_{loss} = r' (l_0 + p (n+1)(2n+1) / (6n)), \\quad r_{drop} = r' (l_0 + p (n+1)/2)

    Segment ``k`` from the far end carries ``k/n`` of the current: ``sum k^2 = n(n+1)(2n+1)/6`` and
    ``sum k = n(n+1)/2``.

    Parameters
    ----------
    n_taps : int
        Loads (tap-offs) on the run, equal and equally spaced [-].
    pitch_m : float
        Distance between taps [m] (the rack pitch).
    lead_in_m : float
        Length from the feeder to the first tap [m].
    r_phase_ohm_m : float
        Phase-conductor resistance per metre [ohm/m].

    References
    ----------
    Schneider Electric, *Electrical Installation Guide* (2018), ch. E, busbar trunking voltage drop with
    distributed loads.
    """
    n = max(int(n_taps), 1)
    r_loss = r_phase_ohm_m * (lead_in_m + pitch_m * (n + 1) * (2 * n + 1) / (6.0 * n))
    r_drop = r_phase_ohm_m * (lead_in_m + pitch_m * (n + 1) / 2.0)
    return r_loss, r_drop


def ups_runtime_s(runtime_rated_s, rating_w, load_w):
    """Battery runtime [s] at ``load_w`` [W] from the runtime at full rated load (constant stored energy).

    ``t = t_r P_r / P``. Real batteries give more than this at part load (Peukert), so the figure is
    conservative. Infinite at zero load.

    References
    ----------
    IEEE Std 485-2020, *Sizing lead-acid batteries for stationary applications* (runtime against load; the
    constant-energy form is its conservative bound at part load).
    """
    load = np.asarray(load_w, dtype=float)
    out = np.full(load.shape, np.inf)
    np.divide(runtime_rated_s * rating_w, load, out=out, where=load > 0)
    return out


def chain_flow(failed, up_ptr, up_idx, kind, pf, tx_p0, tx_pk, tx_sr, ups_rating, eff_ptr, eff_x, eff_y,
               fixed_eta, bus_r_loss, bus_v, g_power, gf_ptr, gf_leaf, gf_share):
    """Load flow of the chain in every scenario (rows of ``failed``).

    Parameters
    ----------
    failed : ndarray of bool, shape (S, E)
        Elements out of service in each scenario.
    up_ptr, up_idx : ndarray of int64
        CSR of each element's upstream candidates, in order of preference (sources: none).
    kind : ndarray of int64, shape (E,)
        ``K_SOURCE``, ``K_TRANSFORMER``, ``K_UPS``, ``K_FIXED`` or ``K_BUSWAY``.
    pf : float
        Power factor of the load [-].
    tx_p0, tx_pk, tx_sr : ndarray, shape (E,)
        Transformers: no-load loss [W], load loss [W], rated apparent power [VA].
    ups_rating : ndarray, shape (E,)
        UPS rated output [W].
    eff_ptr, eff_x, eff_y : ndarray
        CSR of each element's efficiency curve (load fraction [-], efficiency [-]); UPS only.
    fixed_eta : ndarray, shape (E,)
        Efficiency of fixed-efficiency elements [-].
    bus_r_loss, bus_v : ndarray, shape (E,)
        Busway runs: loss resistance [ohm] (:func:`busway_run`) and line-to-line voltage [V].
    g_power : ndarray, shape (G,)
        Input power of each rack group [W].
    gf_ptr, gf_leaf, gf_share : ndarray
        CSR of each group's feeds: the busway run each hangs from and its share of the group's power [-].

    Returns
    -------
    dict of ndarray
        ``alive`` (S, E) bool, ``chosen`` (S, E) int (upstream taken, -1 none), ``p_out_w`` and ``p_in_w``
        (S, E) [W], ``gf_power_w`` (S, GF) [W] through each group feed, ``dropped_w`` (S,) [W] of racks
        left with no live feed, ``group_live`` (S, G) bool (the group has a live feed).
    """
    S, E = failed.shape
    alive = ~failed
    chosen = np.full((S, E), -1, dtype=np.int64)
    for e in range(E):
        a, b = up_ptr[e], up_ptr[e + 1]
        if a == b:
            continue
        ch = np.full(S, -1, dtype=np.int64)
        for c in up_idx[a:b][::-1]:
            ch = np.where(alive[:, c], c, ch)
        alive[:, e] &= ch >= 0
        chosen[:, e] = np.where(alive[:, e], ch, -1)
    # rack groups onto their leaves
    leaf_alive = alive[:, gf_leaf]                                       # (S, GF)
    w = leaf_alive * gf_share[None, :]
    G = g_power.shape[0]
    grp = np.repeat(np.arange(G), np.diff(gf_ptr))
    denom = np.zeros((S, G))
    if w.shape[1]:
        np.add.at(denom.T, grp, w.T)
    live = denom > 0
    scale = np.where(live, g_power[None, :] / np.where(live, denom, 1.0), 0.0)
    gf_power = w * scale[:, grp]
    dropped = (~live * g_power[None, :]).sum(axis=1)
    p_out = np.zeros((S, E))
    if gf_leaf.size:
        np.add.at(p_out.T, gf_leaf, gf_power.T)
    p_in = np.zeros((S, E))
    rows = np.arange(S)
    for e in range(E - 1, -1, -1):
        po = p_out[:, e]
        k = kind[e]
        if k == K_TRANSFORMER:
            pi = po + transformer_losses(po / pf, tx_sr[e], tx_p0[e], tx_pk[e])
        elif k == K_UPS:
            pi = ups_input_power(po, ups_rating[e], eff_x[eff_ptr[e]:eff_ptr[e + 1]], eff_y[eff_ptr[e]:eff_ptr[e + 1]])
        elif k == K_FIXED:
            pi = po / fixed_eta[e]
        elif k == K_BUSWAY:
            pi = po + bus_r_loss[e] * (po / (bus_v[e] * pf)) ** 2
        else:
            pi = po
        pi = np.where(alive[:, e], pi, 0.0)
        p_in[:, e] = pi
        ch = chosen[:, e]
        ok = ch >= 0
        if ok.any():
            p_out[rows[ok], ch[ok]] += pi[ok]
    return {"alive": alive, "chosen": chosen, "p_out_w": p_out, "p_in_w": p_in, "gf_power_w": gf_power,
            "dropped_w": dropped, "group_live": live}
