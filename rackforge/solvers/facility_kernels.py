"""Numba kernel of the facility outage sweep: :func:`rackforge.solvers.facility.chain_flow`'s equations, one scenario
at a time, reduced on the fly (worst loading per element and its scenario, largest output, dropped load), so a
hall of 10,000 racks (5,000 elements x 5,000 scenarios) needs O(E) memory and no Python loop per element.

Same element laws and conventions as :mod:`rackforge.solvers.facility` (whose docstring gives the equations and
references); ``tests/test_facility.py`` checks the kernel against ``chain_flow`` scenario by scenario.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from rackforge.solvers.facility import K_BUSWAY, K_FIXED, K_TRANSFORMER, K_UPS


@njit(cache=True)
def _interp(x, xs, ys):
    n = xs.shape[0]
    if x <= xs[0]:
        return ys[0]
    if x >= xs[n - 1]:
        return ys[n - 1]
    for k in range(1, n):
        if x <= xs[k]:
            t = (x - xs[k - 1]) / (xs[k] - xs[k - 1])
            return ys[k - 1] + t * (ys[k] - ys[k - 1])
    return ys[n - 1]


@njit(cache=True)
def sweep(scen_ptr, scen_idx, up_ptr, up_idx, kind, pf, tx_p0, tx_pk, tx_sr, ups_rating, eff_ptr, eff_x, eff_y,
          fixed_eta, bus_r_loss, bus_v, g_power, g_count, gf_ptr, gf_leaf, gf_share, lim_out, lim_in):
    """Every scenario (its failed elements: ``scen_idx[scen_ptr[s]:scen_ptr[s+1]]``), reduced.

    Parameters are those of :func:`rackforge.solvers.facility.chain_flow` (element and group arrays) plus
    ``g_count`` (racks per group), ``lim_out`` and ``lim_in`` [W] (loading = max(P_out / lim_out, P_in / lim_in)).

    Returns
    -------
    worst, worst_s : (E,) float, int
        Largest loading of each element over the scenarios [-] and the scenario it occurs in.
    max_out : (E,) float
        Largest output of each element [W].
    gf_max, gf_max_s : (GF,) float, int
        Largest power through each group feed [W] and its scenario.
    dropped_w, dropped_racks : (S,) float, int
        Load and racks left with no live feed in each scenario.
    """
    S = scen_ptr.shape[0] - 1
    E = kind.shape[0]
    G = g_power.shape[0]
    GF = gf_leaf.shape[0]
    worst = np.zeros(E)
    worst_s = np.zeros(E, np.int64)
    max_out = np.zeros(E)
    gf_max = np.zeros(GF)
    gf_max_s = np.zeros(GF, np.int64)
    dropped_w = np.zeros(S)
    dropped_racks = np.zeros(S, np.int64)
    alive = np.ones(E, np.bool_)
    chosen = np.full(E, -1, np.int64)
    p_out = np.zeros(E)
    for s in range(S):
        alive[:] = True
        for k in range(scen_ptr[s], scen_ptr[s + 1]):
            alive[scen_idx[k]] = False
        for e in range(E):
            chosen[e] = -1
            a = up_ptr[e]
            b = up_ptr[e + 1]
            if not alive[e] or a == b:
                continue
            ch = -1
            for k in range(a, b):
                if alive[up_idx[k]]:
                    ch = up_idx[k]
                    break
            if ch < 0:
                alive[e] = False
            else:
                chosen[e] = ch
        p_out[:] = 0.0
        for g in range(G):
            den = 0.0
            for f in range(gf_ptr[g], gf_ptr[g + 1]):
                if alive[gf_leaf[f]]:
                    den += gf_share[f]
            if den > 0.0:
                for f in range(gf_ptr[g], gf_ptr[g + 1]):
                    if alive[gf_leaf[f]]:
                        pw = g_power[g] * gf_share[f] / den
                        p_out[gf_leaf[f]] += pw
                        if pw > gf_max[f]:
                            gf_max[f] = pw
                            gf_max_s[f] = s
            else:
                dropped_w[s] += g_power[g]
                dropped_racks[s] += g_count[g]
        for e in range(E - 1, -1, -1):
            if not alive[e]:
                continue
            po = p_out[e]
            k = kind[e]
            if k == K_TRANSFORMER:
                x = po / pf / tx_sr[e]
                pi = po + tx_p0[e] + tx_pk[e] * x * x
            elif k == K_UPS:
                a = eff_ptr[e]
                b = eff_ptr[e + 1]
                pi = po / _interp(po / ups_rating[e], eff_x[a:b], eff_y[a:b])
            elif k == K_FIXED:
                pi = po / fixed_eta[e]
            elif k == K_BUSWAY:
                i = po / (bus_v[e] * pf)
                pi = po + bus_r_loss[e] * i * i
            else:
                pi = po
            if chosen[e] >= 0:
                p_out[chosen[e]] += pi
            ld = max(po / lim_out[e], pi / lim_in[e])
            if ld > worst[e]:
                worst[e] = ld
                worst_s[e] = s
            if po > max_out[e]:
                max_out[e] = po
    return worst, worst_s, max_out, gf_max, gf_max_s, dropped_w, dropped_racks
