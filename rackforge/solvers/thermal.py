"""Liquid-loop temperatures and the fault-scenario batch.

Pure layer: numpy arrays and SI floats in, arrays out. Temperatures are [degC], temperature
differences [K], heat [W], flows [m^3/s]. Every function broadcasts over leading scenario axes:
a ``branch_flow`` of shape ``(s, n)`` gives results of shape ``(s, ...)``.

Plates (cold plates, or any liquid-cooled heat source) are stored per branch in CSR form:
branch ``i`` owns plates ``plate_ptr[i]:plate_ptr[i+1]``, in flow order for a series branch.

References
----------
Incropera, F. P., DeWitt, D. P., Bergman, T. L., Lavine, A. S. (2007). Fundamentals of Heat and
  Mass Transfer, 6th ed., Wiley: eq. 1.11e (steady-flow energy balance q = m_dot cp dT), sec. 3.1
  (thermal resistance), sec. 11.4 (heat exchanger approach).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "PlateLoad",
    "CduThermal",
    "LoopTemperatures",
    "Scenarios",
    "ScenarioReport",
    "build_plate_load",
    "cdu_supply_temperature",
    "plate_resistance",
    "loop_temperatures",
    "fault_scenarios",
    "evaluate_scenarios",
]


class PlateLoad(NamedTuple):
    """Heat sources on the branches of one loop.

    Attributes
    ----------
    plate_ptr : ndarray of int64, shape (n+1,)
        Branch ``i`` owns plates ``plate_ptr[i]:plate_ptr[i+1]``.
    power : ndarray, shape (n_plates,)
        Heat into the coolant [W].
    rth : ndarray, shape (n_plates,)
        Case-to-coolant-inlet thermal resistance at the reference flow [K/W].
    rth_q_ref : ndarray, shape (n_plates,)
        Reference plate flow for ``rth`` [m^3/s]; 0 = flow independent.
    rth_exp : ndarray, shape (n_plates,)
        Exponent m in ``R = rth (q/q_ref)^-m`` [-] (about 0.5-0.8 for forced convection).
    t_case_max : ndarray, shape (n_plates,)
        Maximum case temperature [degC] (``inf`` = no limit).
    parallel : ndarray of bool, shape (n,)
        ``True``: the branch's plates are in parallel with equal flow ``q/n_plates``;
        ``False``: in series in the given order.
    required_flow : ndarray, shape (n,)
        Flow each branch needs [m^3/s] (e.g. 1.5 L/min per kW).
    """

    plate_ptr: np.ndarray
    power: np.ndarray
    rth: np.ndarray
    rth_q_ref: np.ndarray
    rth_exp: np.ndarray
    t_case_max: np.ndarray
    parallel: np.ndarray
    required_flow: np.ndarray

    @property
    def branch_heat(self) -> np.ndarray:
        """Heat per branch [W]."""
        counts = np.diff(self.plate_ptr)
        idx = np.repeat(np.arange(counts.size), counts)
        return np.bincount(idx, weights=self.power, minlength=counts.size)


class CduThermal(NamedTuple):
    """CDU heat-exchanger rating.

    Attributes
    ----------
    capacity_w : float
        Rated heat removal of the installed heat exchangers [W].
    approach_k : float
        Approach (TCS supply minus facility supply) at rated capacity [K].
    n_hx_units : int
        Identical heat-exchanger units sharing the load (the N-1 scenario loses one).
    """

    capacity_w: float
    approach_k: float
    n_hx_units: int = 1


class LoopTemperatures(NamedTuple):
    """Result of :func:`loop_temperatures` (leading axes as the input flows).

    Attributes
    ----------
    t_supply : ndarray (...)
        CDU supply (= branch inlet) temperature [degC].
    t_return : ndarray (...)
        Mixed return temperature [degC].
    heat_w : ndarray (...)
        Heat carried by the coolant (branches with flow) [W].
    removed_w, deficit_w : ndarray (...)
        Heat the CDU removes / cannot remove [W].
    supply_rise_k : ndarray (...)
        Supply rise caused by the deficit [K].
    branch_t_out : ndarray (..., n)
        Branch outlet temperature [degC] (``inf`` for a heated branch without flow).
    plate_t_in : ndarray (..., n_plates)
        Coolant temperature at each plate's inlet [degC].
    plate_t_case : ndarray (..., n_plates)
        Case temperature [degC].
    plate_margin : ndarray (..., n_plates)
        ``t_case_max - t_case`` [K].
    """

    t_supply: np.ndarray
    t_return: np.ndarray
    heat_w: np.ndarray
    removed_w: np.ndarray
    deficit_w: np.ndarray
    supply_rise_k: np.ndarray
    branch_t_out: np.ndarray
    plate_t_in: np.ndarray
    plate_t_case: np.ndarray
    plate_margin: np.ndarray


def build_plate_load(plate_ptr, power, rth, t_case_max, required_flow, parallel=False,
                     rth_q_ref=0.0, rth_exp=0.0):
    """Validate and pack plate data into a :class:`PlateLoad` (scalars are broadcast).

    Parameters
    ----------
    plate_ptr : array_like of int, shape (n+1,)
        CSR offsets of each branch's plates.
    power : array_like
        Plate heat [W].
    rth : array_like
        Thermal resistance case to coolant inlet [K/W].
    t_case_max : array_like
        Maximum case temperature [degC].
    required_flow : array_like, shape (n,)
        Required branch flow [m^3/s].
    parallel : bool or array_like of bool, shape (n,)
        Plates of a branch in parallel (equal split) instead of series.
    rth_q_ref : array_like
        Reference flow of ``rth`` [m^3/s] (0: constant resistance).
    rth_exp : array_like
        Flow exponent of the resistance [-].

    Returns
    -------
    PlateLoad

    References
    ----------
    Incropera et al. (2007), sec. 3.1 (thermal resistance).
    """
    ptr = np.ascontiguousarray(np.asarray(plate_ptr, dtype=np.int64))
    if ptr.ndim != 1 or ptr.size < 2 or ptr[0] != 0 or np.any(np.diff(ptr) < 0):
        raise ValueError("plate_ptr must be CSR offsets starting at 0")
    n, npl = ptr.size - 1, int(ptr[-1])

    def arr(x, size, name, dtype=float):
        a = np.asarray(x, dtype=dtype)
        a = np.full(size, a, dtype=dtype) if a.ndim == 0 else a
        if a.shape != (size,):
            raise ValueError(f"{name}: expected shape ({size},), got {a.shape}")
        return np.ascontiguousarray(a)

    return PlateLoad(
        plate_ptr=ptr,
        power=arr(power, npl, "power"),
        rth=arr(rth, npl, "rth"),
        rth_q_ref=arr(rth_q_ref, npl, "rth_q_ref"),
        rth_exp=arr(rth_exp, npl, "rth_exp"),
        t_case_max=arr(t_case_max, npl, "t_case_max"),
        parallel=arr(parallel, n, "parallel", bool),
        required_flow=arr(required_flow, n, "required_flow"),
    )


def cdu_supply_temperature(t_facility_c, heat_w, capacity_w, approach_k, flow_m3_s, rho, cp):
    """CDU supply temperature from the facility supply, the load and the CDU's capacity.

    The heat exchanger is modelled with a constant conductance ``G = capacity / approach_rated``
    (approach proportional to load, the usual linearisation of a rated approach) and a hard
    capacity limit:

    .. math::
        Q_r = \\min(Q, C),\\quad
        T_s = T_{fac} + \\Delta T_{a} \\frac{Q_r}{C} + \\frac{Q - Q_r}{\\rho c_p \\dot V}

    The last term is the deficit ``Q - C`` carried once around the loop by the total flow: a
    quasi-steady estimate of the supply rise; in reality the loop keeps heating, so any deficit is
    a failure.

    Parameters
    ----------
    t_facility_c : array_like
        Facility water supply temperature [degC].
    heat_w : array_like
        Heat carried by the coolant to the CDU [W].
    capacity_w : array_like
        Available heat-exchanger capacity [W] (> 0).
    approach_k : float
        Approach at capacity [K].
    flow_m3_s : array_like
        Total loop flow [m^3/s].
    rho : float
        Coolant density [kg/m^3].
    cp : float
        Coolant specific heat [J/(kg K)].

    Returns
    -------
    tuple of ndarray
        ``(t_supply [degC], removed [W], deficit [W], supply_rise [K])``.

    References
    ----------
    Incropera et al. (2007), sec. 11.4; OCP "L-L CDU Test Methodology & Performance Rating" R1
    sec. 3.3.2.4 (approach rated at capacity).
    """
    heat = np.asarray(heat_w, dtype=float)
    cap = np.asarray(capacity_w, dtype=float)
    removed = np.minimum(heat, cap)
    deficit = heat - removed
    with np.errstate(divide="ignore", invalid="ignore"):
        approach = np.where(cap > 0, approach_k * removed / np.where(cap > 0, cap, 1.0), 0.0)
        mcp = rho * cp * np.asarray(flow_m3_s, dtype=float)
        rise = np.where(deficit > 0, np.where(mcp > 0, deficit / np.where(mcp > 0, mcp, 1.0), np.inf), 0.0)
    return np.asarray(t_facility_c, dtype=float) + approach + rise, removed, deficit, rise


def plate_resistance(rth, q_plate, q_ref, exponent):
    """Flow-dependent plate thermal resistance.

    .. math:: R(q) = R_{ref}\\,(q / q_{ref})^{-m}\\ (q_{ref} > 0),\\qquad R = R_{ref}\\ (q_{ref} = 0)

    from a convective coefficient ``h ~ Re^m`` (Dittus-Boelter m = 0.8 turbulent; about 0.5 for
    developing laminar flow in minichannels).

    Parameters
    ----------
    rth : array_like
        Resistance at the reference flow [K/W].
    q_plate : array_like
        Flow through the plate [m^3/s].
    q_ref : array_like
        Reference flow [m^3/s]; 0 for a constant resistance.
    exponent : array_like
        m [-].

    Returns
    -------
    ndarray
        Resistance [K/W] (``inf`` at zero flow for a flow-dependent plate).

    References
    ----------
    Incropera et al. (2007), eq. 8.60 (Dittus-Boelter) and sec. 3.1.
    """
    rth = np.asarray(rth, dtype=float)
    q_ref = np.asarray(q_ref, dtype=float)
    q_plate = np.asarray(q_plate, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(q_ref > 0, q_plate / np.where(q_ref > 0, q_ref, 1.0), 1.0)
        scale = np.where(ratio > 0, ratio ** (-np.asarray(exponent, dtype=float)), np.inf)
    return rth * np.where(q_ref > 0, scale, 1.0)


def loop_temperatures(branch_flow, load, cdu, t_facility_c, rho, cp, capacity_factor=1.0):
    """Temperatures of one loop: CDU supply, branch outlets, plate cases, mixed return.

    * Energy balance per branch: ``T_out = T_s + sum(P) / (rho q cp)``.
    * Series plates heat the coolant step by step: plate k sees ``T_s + sum(P_<k) / (rho q cp)``;
      parallel plates all see ``T_s`` with flow ``q / n_plates``.
    * Case: ``T_case = T_in,plate + P R(q_plate)`` (resistance referred to the plate's coolant inlet).
    * Mixed return (flow-weighted enthalpy mix at constant cp):
      ``T_r = sum(q_i T_out,i) / sum(q_i)`` over branches with flow.
    * CDU supply from :func:`cdu_supply_temperature` with the heat carried by the coolant.

    A blocked branch (zero flow) carries no heat: its outlet and cases are ``inf`` when heated.

    Parameters
    ----------
    branch_flow : array_like, shape (..., n)
        Branch flows [m^3/s].
    load : PlateLoad
    cdu : CduThermal
    t_facility_c : array_like, shape (...)
        Facility supply temperature [degC].
    rho : float
        Coolant density [kg/m^3].
    cp : float
        Coolant specific heat [J/(kg K)].
    capacity_factor : array_like, shape (...)
        Share of the CDU capacity available [-].

    Returns
    -------
    LoopTemperatures

    References
    ----------
    Incropera et al. (2007), eq. 1.11e and sec. 3.1.
    """
    q = np.asarray(branch_flow, dtype=float)
    ptr = load.plate_ptr
    counts = np.diff(ptr)
    branch_of_plate = np.repeat(np.arange(counts.size), counts)
    bheat = load.branch_heat
    flowing = q > 0
    heat = np.sum(np.where(flowing, bheat, 0.0), axis=-1)
    qtot = np.sum(np.where(flowing, q, 0.0), axis=-1)
    cap = cdu.capacity_w * np.asarray(capacity_factor, dtype=float)
    t_s, removed, deficit, rise = cdu_supply_temperature(t_facility_c, heat, cap, cdu.approach_k, qtot, rho, cp)
    t_s_b = t_s[..., None]
    mcp = rho * cp * q
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):   # a starved branch: inf, said by RF301
        dt_branch = np.where(bheat > 0, bheat / mcp, 0.0)
        dt_branch = np.where((bheat > 0) & ~flowing, np.inf, dt_branch)
    t_out = t_s_b + dt_branch
    with np.errstate(invalid="ignore"):
        t_ret = np.where(qtot > 0, np.sum(np.where(flowing, q * t_out, 0.0), axis=-1) / np.where(qtot > 0, qtot, 1.0), t_s)
    # plates
    par = load.parallel[branch_of_plate]
    csum = np.cumsum(load.power)
    start = np.concatenate([[0.0], csum])[ptr[:-1]][branch_of_plate]
    heat_before = np.where(par, 0.0, csum - load.power - start)
    qb = q[..., branch_of_plate]
    q_plate = np.where(par, qb / np.maximum(counts[branch_of_plate], 1), qb)
    with np.errstate(divide="ignore", invalid="ignore"):
        dt_in = np.where(heat_before > 0, heat_before / (rho * cp * qb), 0.0)
        dt_in = np.where((heat_before > 0) & (qb <= 0), np.inf, dt_in)
        t_in = t_s_b + dt_in
        r = plate_resistance(load.rth, q_plate, load.rth_q_ref, load.rth_exp)
        rise_case = np.where(load.power > 0, load.power * r, 0.0)
        # no flow: the plate has nowhere to put its heat
        rise_case = np.where((load.power > 0) & (q_plate <= 0), np.inf, rise_case)
    t_case = t_in + rise_case
    margin = load.t_case_max - t_case
    return LoopTemperatures(t_s, t_ret, heat, removed, deficit, rise, t_out, t_in, t_case, margin)


class Scenarios(NamedTuple):
    """A batch of loop scenarios.

    Attributes
    ----------
    labels : list of str
    n_active : ndarray of int64, shape (s,)
        Running pumps.
    branch_open : ndarray of bool, shape (s, n)
    capacity_factor : ndarray, shape (s,)
        Available share of CDU capacity [-].
    t_facility_c : ndarray, shape (s,)
        Facility supply [degC].
    """

    labels: list
    n_active: np.ndarray
    branch_open: np.ndarray
    capacity_factor: np.ndarray
    t_facility_c: np.ndarray


class ScenarioReport(NamedTuple):
    """Result of :func:`evaluate_scenarios`.

    Attributes
    ----------
    scenarios : Scenarios
    hydraulics : HydraulicSolution
        Batch solution (leading axis = scenario).
    temperatures : LoopTemperatures
        Batch temperatures.
    flow_ratio : ndarray (s, n)
        ``q / q_required`` [-], ``nan`` on blocked branches.
    min_flow_ratio : ndarray (s,)
        Lowest ratio over open branches [-].
    min_flow_branch : ndarray of int (s,)
    min_case_margin : ndarray (s,)
        Lowest ``t_case_max - t_case`` over plates of open branches [K].
    min_margin_plate : ndarray of int (s,)
    max_case_temp : ndarray (s,)
        Highest case temperature on open branches [degC].
    worst : int
        Scenario with the lowest case margin (ties: lowest flow ratio).
    worst_flow : int
        Scenario with the lowest flow ratio.
    """

    scenarios: Scenarios
    hydraulics: object
    temperatures: LoopTemperatures
    flow_ratio: np.ndarray
    min_flow_ratio: np.ndarray
    min_flow_branch: np.ndarray
    min_case_margin: np.ndarray
    min_margin_plate: np.ndarray
    max_case_temp: np.ndarray
    worst: int
    worst_flow: int


def fault_scenarios(net, t_facility_c, t_facility_max_c=None, cdu=None, pumps=True, branches=True):
    """The standard fault list of a loop as one batch.

    ``base``; ``pump k lost`` for every installed pump (running pumps ``min(n_running,
    n_pumps - 1)``: a standby takes over when there is one); ``branch i blocked`` for every branch;
    ``CDU N-1`` (one of ``cdu.n_hx_units`` heat-exchanger units lost, capacity
    ``(N-1)/N``); ``facility at class max`` (facility supply at the top of its class).

    Parameters
    ----------
    net : HydraulicNetwork
    t_facility_c : float
        Nominal facility supply [degC].
    t_facility_max_c : float, optional
        Top of the facility water class [degC] (e.g. 32 for W32); omitted = no such scenario.
    cdu : CduThermal, optional
        Needed for the N-1 scenario.
    pumps, branches : bool
        Include the pump-loss and blocked-branch scenarios.

    Returns
    -------
    Scenarios

    References
    ----------
    ASHRAE TC 9.9 (2021), Liquid Cooling Guidelines (facility water classes W17-W45, W+).
    """
    n = net.n_branches
    labels = ["base"]
    n_act = [net.n_running]
    open_rows = [np.ones(n, bool)]
    capf = [1.0]
    tfac = [float(t_facility_c)]
    if pumps:
        lost = min(net.n_running, net.n_pumps - 1)
        for k in range(net.n_pumps):
            labels.append(f"pump {k} lost")
            n_act.append(lost)
            open_rows.append(np.ones(n, bool))
            capf.append(1.0)
            tfac.append(float(t_facility_c))
    if branches:
        blocked = ~np.eye(n, dtype=bool)
        labels.extend(f"branch {i} blocked" for i in range(n))
        n_act.extend([net.n_running] * n)
        open_rows.extend(blocked)
        capf.extend([1.0] * n)
        tfac.extend([float(t_facility_c)] * n)
    if cdu is not None:
        labels.append("CDU N-1")
        n_act.append(net.n_running)
        open_rows.append(np.ones(n, bool))
        capf.append((cdu.n_hx_units - 1) / cdu.n_hx_units)
        tfac.append(float(t_facility_c))
    if t_facility_max_c is not None:
        labels.append("facility at class max")
        n_act.append(net.n_running)
        open_rows.append(np.ones(n, bool))
        capf.append(1.0)
        tfac.append(float(t_facility_max_c))
    return Scenarios(labels, np.asarray(n_act, dtype=np.int64), np.asarray(open_rows, dtype=bool),
                     np.asarray(capf, dtype=float), np.asarray(tfac, dtype=float))


def evaluate_scenarios(net, load, cdu, scenarios, cp, base=None, tol=1e-8, solver=None):
    """Solve a batch of scenarios (hydraulics warm-started from the base case, then temperatures).

    Per scenario: branch flows by :func:`rackforge.solvers.hydraulics.solve_batch`, temperatures by
    :func:`loop_temperatures`, then the flow ratio ``q/q_required`` and the case margin
    ``t_case_max - t_case``, both over the *open* branches (the blocked branch of a
    ``branch i blocked`` scenario is the fault itself; its tray is lost).

    Parameters
    ----------
    net : HydraulicNetwork
    load : PlateLoad
    cdu : CduThermal
    scenarios : Scenarios
    cp : float
        Coolant specific heat [J/(kg K)] (density is ``net.rho``).
    base : HydraulicSolution, optional
        Warm start; solved here when omitted.
    tol : float
        Hydraulic tolerance [-].
    solver : callable, optional
        ``solver(net, n_active, branch_open, warm, tol) -> HydraulicSolution`` (batch layout) used
        instead of the numba :func:`rackforge.solvers.hydraulics.solve_batch`, e.g. the numpy/scipy
        reference for small loops; ``base`` must then be given. Default: numba.

    Returns
    -------
    ScenarioReport

    References
    ----------
    Todini & Pilati (1988) for the hydraulics; Incropera et al. (2007) for the energy balance.
    """
    if solver is None:
        from rackforge.solvers import hydraulics as _hyd  # numba: imported on first use

        if base is None:
            base = _hyd.solve(net, tol=tol)
        hyd = _hyd.solve_batch(net, scenarios.n_active, scenarios.branch_open, warm=base, tol=tol)
    else:
        hyd = solver(net, scenarios.n_active, scenarios.branch_open, base, tol)
    temps = loop_temperatures(hyd.branch_flow, load, cdu, scenarios.t_facility_c, net.rho, cp,
                              scenarios.capacity_factor)
    op = scenarios.branch_open
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(op, hyd.branch_flow / load.required_flow, np.nan)
    ratio_m = np.where(op, ratio, np.inf)
    min_ratio = ratio_m.min(axis=1)
    min_branch = ratio_m.argmin(axis=1)
    counts = np.diff(load.plate_ptr)
    plate_open = op[:, np.repeat(np.arange(counts.size), counts)]
    margin = np.where(plate_open, temps.plate_margin, np.inf)
    case = np.where(plate_open, temps.plate_t_case, -np.inf)
    if margin.shape[1]:
        min_margin = margin.min(axis=1)
        min_plate = margin.argmin(axis=1)
        max_case = case.max(axis=1)
    else:
        min_margin = np.full(len(scenarios.labels), np.inf)
        min_plate = np.zeros(len(scenarios.labels), dtype=np.int64)
        max_case = np.full(len(scenarios.labels), -np.inf)
    worst = int(np.lexsort((min_ratio, min_margin))[0])
    worst_flow = int(np.argmin(min_ratio))
    return ScenarioReport(scenarios, hyd, temps, ratio, min_ratio, min_branch, min_margin, min_plate,
                          max_case, worst, worst_flow)
