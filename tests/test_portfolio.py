"""Use-case classes and sourcing (aiscale_sim/portfolio.py): each mechanism's direction of
effect, and the class rates against the stylized facts over a fixed set of seeds."""

import numpy as np
import pytest
from builders import SMALL, live_use_case, new_use_case, small_model

from aiscale_sim import portfolio as pf
from aiscale_sim import simulate
from aiscale_sim.outputs import pilot_funnel
from aiscale_sim.pipeline import (
    copy_use_case,
    draw_ideas,
    idea_rates,
    pilot_effort,
    production_life,
    propose_ideas,
    start_pilot,
    technical_success_probability,
    weekly_cost,
    weekly_value,
)
from aiscale_sim.states import Stage, UseCaseKind

CLASSIC, GENAI, ASSISTANT = UseCaseKind.CLASSIC, UseCaseKind.GENAI, UseCaseKind.ASSISTANT
PARAMS = pf.PortfolioParams()


def model(seed=7, **levers):
    return small_model(seed, **levers)


def mix(genai=0.3, assistant=0.15, buy=0.3, seats=(100.0, 200.0, 300.0, 400.0)):
    return pf.IdeaMix(genai, assistant, buy, seats, PARAMS)


# --- ideas: class, sourcing, attributes ------------------------------------------------------


def test_class_and_sourcing_follow_the_shares():
    kind, bought = pf.draw_kinds(mix(genai=0.4, assistant=0.2, buy=0.5),
                                 np.random.default_rng(3), 40000)
    share = np.bincount(kind, minlength=3) / len(kind)
    # Binomial sd at n = 40000 is at most 0.0025: 0.01 is four of them.
    assert share == pytest.approx([0.8 * 0.6, 0.8 * 0.4, 0.2], abs=0.01)
    assert bought[kind == ASSISTANT].all()  # off the shelf: always bought
    assert bought[kind != ASSISTANT].mean() == pytest.approx(0.5, abs=0.01)


def test_ideas_land_in_their_class_ranges():
    rates = np.full(4, 0.5)
    weeks = draw_ideas(rates, np.random.default_rng(1), 1.3, 2000, mix(buy=0.0),
                       np.random.default_rng(2))
    ideas = [i for w in weeks for i in w]
    for kind in UseCaseKind:
        cls = PARAMS.of(kind)
        rows = [i for i in ideas if i[7] == kind]
        assert len(rows) > 300
        for col, name in ((2, "difficulty"), (3, "data_needs"), (5, "infra_need"),
                          (6, "commit_need")):
            lo, hi = getattr(cls, name)
            # Bought ideas (here only assistants) need less infrastructure.
            hosting = [PARAMS.vendor_hosting if r[8] and name == "infra_need" else 1.0
                       for r in rows]
            vals = np.array([r[col] / h for r, h in zip(rows, hosting, strict=True)])
            assert lo <= vals.min() and vals.max() <= hi, (kind, name)
            assert vals.max() - vals.min() > 0.7 * (hi - lo), (kind, name)  # fills its range
        risk = np.bincount([r[4] for r in rows], minlength=3) / len(rows)
        expected = [cls.risk[0], cls.risk[1] - cls.risk[0], 1 - cls.risk[1]]
        assert risk == pytest.approx(expected, abs=0.05), kind  # n > 300: sd < 0.03
    # Custom GenAI is harder, riskier and needs more infrastructure and commitment; an
    # assistant is easier, less risky and needs less infrastructure (the same commitment).
    mean = {k: np.mean([[i[2], i[4], i[5], i[6]] for i in ideas if i[7] == k], axis=0)
            for k in UseCaseKind}
    assert (mean[GENAI] > mean[CLASSIC] + 0.05).all()
    assert (mean[ASSISTANT][:3] < mean[CLASSIC][:3] - 0.1).all()


def test_classic_ideas_keep_their_draws_whatever_the_mix():
    """The class draws come from their own stream: a classic build stays the same idea."""
    rates = np.full(4, 0.5)
    plain = [i for w in draw_ideas(rates, np.random.default_rng(5), 1.3, 200) for i in w]
    mixed = [i for w in draw_ideas(rates, np.random.default_rng(5), 1.3, 200, mix(),
                                   np.random.default_rng(6)) for i in w]
    assert len(plain) == len(mixed)
    same = [(a, b) for a, b in zip(plain, mixed, strict=True) if b[7] == CLASSIC and not b[8]]
    assert len(same) > 100
    assert all(a == b for a, b in same)


def test_bought_ideas_need_less_infrastructure_and_are_worth_less():
    rates = np.full(4, 0.5)
    built = [i for w in draw_ideas(rates, np.random.default_rng(5), 1.3, 300, mix(buy=0.0),
                                   np.random.default_rng(6)) for i in w]
    bought = [i for w in draw_ideas(rates, np.random.default_rng(5), 1.3, 300, mix(buy=1.0),
                                    np.random.default_rng(6)) for i in w]
    for a, b in zip(built, bought, strict=True):
        assert b[8] and b[7] == a[7]  # same class, now bought
        if a[7] == ASSISTANT:
            assert b == a  # always bought anyway
        else:
            assert b[5] == pytest.approx(a[5] * PARAMS.vendor_hosting)
            assert b[1] == pytest.approx(a[1] * PARAMS.vendor_fit)


def test_an_assistant_is_worth_its_seats():
    rates = np.full(4, 0.5)
    ideas = [i for w in draw_ideas(rates, np.random.default_rng(5), 1.3, 400,
                                   mix(assistant=1.0), np.random.default_rng(6)) for i in w]
    seats = np.array(mix().seats)
    per_seat = {u: np.median([i[1] / seats[u] for i in ideas if i[0] == u]) for u in range(4)}
    # Median of the lognormal draw is 1: the value per seat is seat_value / 1e6 in every unit.
    for u in range(4):
        assert per_seat[u] == pytest.approx(PARAMS.seat_value / 1e6, rel=0.25)


def test_new_ideas_carry_class_and_sourcing_and_follow_a_changed_mix():
    m = model(pilot_launch_rate=30.0, assistant_share=0.0, genai_share=0.0, buy_share=0.0)
    first = [uc for _ in range(10) for uc in propose_ideas(m)]
    assert first and all(uc.kind == CLASSIC and not uc.bought for uc in first)
    m.levers["assistant_share"] = 1.0
    later = [uc for _ in range(10) for uc in propose_ideas(m)]
    assert later and all(uc.kind == ASSISTANT and uc.bought for uc in later)
    assert (idea_rates(m) > 0).all()


def test_zero_shares_make_every_pilot_a_classic_build():
    r = simulate({**SMALL, "genai_share": 0.0, "assistant_share": 0.0, "buy_share": 0.0},
                 seed=3, steps=104)
    o = r.outcomes
    assert o["pilots_launched_by_class"]["genai"] == o["pilots_launched_by_class"][
        "assistant"] == 0
    assert o["pilots_launched_by_class"]["classic"] == o["pilots_launched"] > 0
    assert o["pilot_to_production_by_sourcing"]["bought"] is None
    assert o["hallucination_incidents"] == o["vendor_model_changes"] == 0


# --- building: effort and technical success --------------------------------------------------


def test_bought_pilots_need_less_effort_and_data_work():
    m = model()
    built, bought = new_use_case(m), new_use_case(m, bought=True)
    team = m.teams[0]
    (e_built, d_built), (e_bought, d_bought) = (pilot_effort(m, built, team),
                                                pilot_effort(m, bought, team))
    assert e_bought < 0.6 * e_built
    assert d_bought == pytest.approx(PARAMS.vendor_data * d_built)


def test_bought_pilots_work_more_often():
    m = model()
    built, bought = new_use_case(m, difficulty=0.8), new_use_case(m, difficulty=0.8, bought=True)
    for uc in (built, bought):
        uc.team = m.teams[0]
    gain = technical_success_probability(m, bought) - technical_success_probability(m, built)
    assert gain == pytest.approx(PARAMS.proven_bonus)


# --- life in production ----------------------------------------------------------------------


def run_live(kind, n=20, weeks=150, seeds=range(3), **levers):
    """Hallucinations, vendor model changes and mean quality loss of ``n`` live use cases."""
    hallucinations = changes = 0
    loss = []
    for s in seeds:
        m = model(seed=s, **{"governance_rigour": 0.0, **levers})
        m.platform_maturity = 0.0
        live = [live_use_case(m, kind=kind, risk=1) for _ in range(n)]
        q0 = np.array([uc.quality0 for uc in live])
        for _ in range(weeks):
            m.time += 1
            production_life(m)
        hallucinations += m.counters["hallucinations"]
        changes += m.counters["vendor_model_changes"]
        loss.append(np.mean(q0 - np.array([uc.quality for uc in live])))
    return hallucinations, changes, float(np.mean(loss))


def test_hallucination_incidents_happen_only_to_custom_genai():
    genai, _, _ = run_live(GENAI)
    classic, _, _ = run_live(CLASSIC)
    assistant, _, _ = run_live(ASSISTANT)
    assert classic == assistant == 0
    # 20 use cases x 150 weeks x 3 seeds x 0.01 = 90 expected while live (fewer: retirement).
    assert genai > 20
    strict, _, _ = run_live(GENAI, governance_rigour=1.0)
    assert strict < genai  # review and guardrails catch most of them
    m = model()
    live = [new_use_case(m, kind=k) for k in UseCaseKind]
    hazards = pf.weekly_hazards(m, live, np.zeros((3, 3)))  # the surest draws
    assert [h[2] for h in hazards] == [False, True, False]


def test_hallucinations_are_incidents():
    m = model(governance_rigour=0.0)
    uc = live_use_case(m, kind=GENAI)
    for _ in range(400):
        m.time += 1
        production_life(m)
        if m.counters["hallucinations"]:
            break
    assert m.counters["hallucinations"] >= 1
    assert m.counters["incidents"] >= m.counters["hallucinations"]
    assert uc.incidents >= 1


def test_vendor_model_changes_shock_genai_quality():
    _, genai_changes, genai_loss = run_live(GENAI, weeks=52)
    _, classic_changes, classic_loss = run_live(CLASSIC, weeks=52)
    assert classic_changes == 0
    # 20 x 52 x 3 x 0.03 = 94 expected; and each costs 0.05-0.25 of quality.
    assert genai_changes > 40
    assert genai_loss > classic_loss + 0.05
    m = model()
    live = [new_use_case(m, kind=k) for k in UseCaseKind]
    sure = pf.weekly_hazards(m, live, np.array([[0.0, 1.0, 1.0]] * 3))
    assert [h[1] for h in sure] == pytest.approx(
        [0.0, PARAMS.vendor_shock + PARAMS.vendor_shock_span, 0.0])
    never = pf.weekly_hazards(m, live, np.array([[0.99, 1.0, 1.0]] * 3))
    assert [h[1] for h in never] == [0.0, 0.0, 0.0]
    assert [h[0] for h in never] == [1.0, 1.0, 0.0]  # assistants do not drift


def test_assistants_do_not_drift():
    _, _, assistant_loss = run_live(ASSISTANT, weeks=52)
    _, _, classic_loss = run_live(CLASSIC, weeks=52)
    assert assistant_loss == 0.0 < classic_loss


def test_copies_keep_the_class_and_sourcing_of_their_origin():
    m = model()
    for kind in UseCaseKind:
        uc = live_use_case(m, unit=0, kind=kind, bought=True)
        copy = copy_use_case(m, uc)
        assert (copy.kind, copy.bought, copy.origin) == (kind, True, uc)
        seats = m.unit_headcount
        expected = (uc.value_potential * seats[copy.unit] / seats[0] if kind == ASSISTANT
                    else uc.value_potential)
        assert copy.value_potential == pytest.approx(expected)


# --- value and cost --------------------------------------------------------------------------


def test_an_assistants_value_comes_through_adoption():
    m = model()
    classic = live_use_case(m, unit=0)
    assistant = live_use_case(m, unit=1, kind=ASSISTANT, bought=True)
    m.unit_adoption[:] = 0.0
    assert weekly_value(m) == pytest.approx(classic.value_potential / 52 * classic.quality
                                            * classic.fit * 0.25)
    m.unit_adoption[:] = 1.0
    both = weekly_value(m)
    assert both == pytest.approx((classic.value_potential * classic.quality * classic.fit
                                  + assistant.value_potential * assistant.quality
                                  * assistant.fit) / 52)


def test_bought_use_cases_cost_licences_that_rise_in_price():
    m = model()
    built = live_use_case(m)
    base = weekly_cost(m)
    bought = live_use_case(m, bought=True)
    extra = weekly_cost(m) - base - m.pipeline_params.run_cost
    assert built.bought is False
    assert extra == pytest.approx(PARAMS.licence / 52)
    m.time += 52
    assert pf.licence_weekly(m, bought, full=True) == pytest.approx(
        PARAMS.licence / 52 * (1 + PARAMS.price_rise))
    pilot = new_use_case(m, bought=True)
    start_pilot(m, pilot)
    assert pf.licence_weekly(m, pilot, full=False) == pytest.approx(
        PARAMS.licence * PARAMS.pilot_licence / 52)


def test_assistant_licences_are_per_seat():
    m = model()
    small, large = np.argsort(m.unit_headcount)[[0, -1]]
    a = live_use_case(m, unit=int(small), kind=ASSISTANT, bought=True)
    b = live_use_case(m, unit=int(large), kind=ASSISTANT, bought=True)
    ratio = pf.licence_weekly(m, b, full=True) / pf.licence_weekly(m, a, full=True)
    assert ratio == pytest.approx(m.unit_headcount[large] / m.unit_headcount[small])
    assert pf.licence_weekly(m, a, full=True) == pytest.approx(
        PARAMS.seat_price * m.unit_headcount[small] / 1e6 / 52)


def test_retiring_a_bought_use_case_costs_a_switch():
    m = model()
    uc = live_use_case(m, bought=True)
    live = pf.licence_cost(m)
    uc.set_stage(Stage.RETIRED)
    assert pf.licence_cost(m) == pytest.approx(PARAMS.switching_weeks * live)
    m.time += 1
    assert pf.licence_cost(m) == 0.0  # once, in the week it retires


# --- the class rates over seeds (stylized facts) ---------------------------------------------

SEEDS = range(16)


@pytest.fixture(scope="module")
def baseline_runs():
    return [simulate("baseline", seed=s) for s in SEEDS]


def _mean_rate(runs, key, name):
    vals = [r.outcomes[key][name] for r in runs]
    vals = [v for v in vals if v is not None]
    assert len(vals) >= len(runs) // 2
    return float(np.mean(vals))


def test_class_rates_meet_the_stylized_facts(baseline_runs):
    """Mean over seeds 0-15 of each run's rate, within the facts' ranges (the tolerance).

    pilot_to_production_classic 0.45-0.55 (Gartner); pilot_to_production_genai_custom 0.05-0.25
    and genai_generic_pilot_to_production 0.70-0.90 (MIT NANDA 2025).
    """
    classic = _mean_rate(baseline_runs, "pilot_to_production_by_class", "classic")
    genai = _mean_rate(baseline_runs, "pilot_to_production_by_class", "genai")
    assistant = _mean_rate(baseline_runs, "pilot_to_production_by_class", "assistant")
    assert 0.45 <= classic <= 0.55
    assert 0.05 <= genai <= 0.25
    assert 0.70 <= assistant <= 0.90
    assert genai < classic - 0.15 < assistant - 0.3


def test_genai_pilots_reach_production_less_often_than_classic_on_the_same_seeds(
        baseline_runs):
    pooled = np.zeros((2, 2))
    for r in baseline_runs:
        f = pilot_funnel(r.model, lambda uc: uc.kind.label)
        for i, k in enumerate(("classic", "genai")):
            pooled[i] += f[k][1:]
    classic, genai = pooled[:, 0] / pooled.sum(axis=1)
    assert genai < classic - 0.2


def test_bought_use_cases_reach_production_more_often_and_sooner(baseline_runs):
    bought = _mean_rate(baseline_runs, "pilot_to_production_by_sourcing", "bought")
    built = _mean_rate(baseline_runs, "pilot_to_production_by_sourcing", "built")
    assert bought > built + 0.1
    weeks = {True: [], False: []}
    for r in baseline_runs:
        for uc in r.model.use_cases:
            if uc.production_week is not None and uc.kind != ASSISTANT:
                weeks[uc.bought].append(uc.production_week - uc.pilot_week)
    assert np.median(weeks[True]) < 0.8 * np.median(weeks[False])
    # Within custom GenAI too (the class the MIT NANDA comparison is about).
    f = np.zeros((2, 2))
    for r in baseline_runs:
        funnel = pilot_funnel(r.model, lambda uc: (uc.bought if uc.kind == GENAI else None))
        for b in (True, False):
            f[int(b)] += funnel.get(b, [0, 0, 0])[1:]
    built_rate, bought_rate = f[:, 0] / f.sum(axis=1)
    assert bought_rate > 1.3 * built_rate
