"""Use-case classes and sourcing: classic ML, custom GenAI, off-the-shelf assistants; buy or build.

An idea belongs to one of three classes (:class:`~aiscale_sim.states.UseCaseKind`), each with its
own ranges of difficulty, data needs, risk and production needs (:class:`UseCaseClass`), its
own drift, and for custom GenAI two hazards of its own: hallucination incidents and changes of
the vendor's underlying model. Custom ideas (classic or GenAI) are bought from a vendor or built
by the AI teams; off-the-shelf assistants are always bought. The pipeline calls the small
functions below; none of them changes a use case's outcome directly, only the attributes,
efforts, hazards, values and costs the pipeline's own rules work with.

Sources:

- Classic ML pilots reach production about half the time (Gartner 2019-2024); custom enterprise
  GenAI tools about 5% of the time, and off-the-shelf assistants about 80% of their pilots (MIT
  NANDA 2025, "The GenAI Divide"). GenAI projects are abandoned after proof of concept for poor
  data quality, inadequate risk controls, escalating costs or unclear business value (Gartner,
  July 2024); custom tools stall because they do not fit or learn the workflow (MIT NANDA 2025).
- The "same" hosted LLM can change behaviour markedly within three months (Chen, Zaharia & Zou
  2023, "How is ChatGPT's behavior changing over time?", arXiv:2307.09009): custom GenAI built
  on a vendor's model sees its quality shocked far more often than classic ML sees data shifts.
- Buying from specialised vendors succeeds about three times as often as building internally
  (MIT NANDA 2025: ~67%, internal builds about a third as often); AI-as-a-Service "lowers
  barriers ... though it may create vendor dependencies and limit customization" (the source
  text, "AI-as-a-Service and Cloud Platforms"): bought use cases need less effort and
  infrastructure but fit less well, and their licences rise in price.
- Assistants are licensed per seat (Microsoft 365 Copilot: $30 per user per month, 2023 list
  price); their value comes from the employees who use them: users save about 5.4% of their
  work hours (Bick, Blandin & Deming 2024), little of which shows in P&L (MIT NANDA 2025).

Magnitudes the sources do not give are marked "assumed" in :class:`UseCaseClass` and
:class:`PortfolioParams`; docs/ODD.md, section 7.10, lists them.

Its functions take the use case and the model they act on, so this module names them (for
type hints only) while the model and the pipeline import it: the model/agent circle of Mesa,
the one circle of imports the package keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from aiscale_sim.states import Stage, UseCaseKind

if TYPE_CHECKING:
    from aiscale_sim.agents import UseCase
    from aiscale_sim.model import EnterpriseModel


@dataclass(frozen=True)
class UseCaseClass:
    """What one class of use case is like (one column of the class table, ODD section 7.10).

    Ranges are ``(low, high)``: an idea's attribute is ``low + (high - low) x`` with ``x`` its
    draw (a Beta draw for difficulty and data needs, a uniform one for the production needs), so
    every class shares the same random numbers and only where they land differs.

    Args:
        difficulty: Range of technical difficulty, 0-1 (onto which a Beta(2, 2) draw is mapped).
        data_needs: Range of data work needed, 0-1 (onto which a Beta(3, 2) draw is mapped).
        risk: Cumulative probabilities of risk class low, and of low or medium.
        infra_need: Range of the production infrastructure needed to go live, 0-1 (uniform).
        commit_need: Range of the unit commitment needed to go live, 0-1 (uniform).
        drift: Multiplier of gradual drift and of the rate of data or business shocks.
        vendor_change_rate: Weekly probability that the vendor changes the underlying model.
        hallucination_rate: Weekly probability of a hallucination incident at zero rigour.
        value_without_users: Share of value a live use case delivers with no adopters.
        off_the_shelf: Always bought; value and licence are counted per seat of the unit.
    """

    difficulty: tuple[float, float]
    data_needs: tuple[float, float]
    risk: tuple[float, float]
    infra_need: tuple[float, float]
    commit_need: tuple[float, float]
    drift: float
    vendor_change_rate: float
    hallucination_rate: float
    value_without_users: float
    off_the_shelf: bool = False


#: Classic predictive ML: the ranges of model 0.2, calibrated to Gartner's ~50% pilot to
#: production (section 8). A model runs without users looking at it (scoring, routing), so a
#: quarter of its value needs no adopters.
CLASSIC = UseCaseClass(
    difficulty=(0.0, 1.0), data_needs=(0.0, 1.0), risk=(0.5, 0.85), infra_need=(0.1, 0.85),
    commit_need=(0.15, 0.65), drift=1.0, vendor_change_rate=0.0, hallucination_rate=0.0,
    value_without_users=0.25)

#: Custom GenAI or agentic applications. Harder to make reliable (non-deterministic output,
#: evaluation, brittle multi-step workflows; MIT NANDA 2025); less labelled data but grounding
#: content to curate (assumed 0.8 of classic at most); riskier (hallucination, privacy, IP:
#: Gartner 2024's "inadequate risk controls"; assumed shares 0.3 low / 0.4 medium / 0.3 high);
#: more infrastructure on top of the ML platform (evaluation, guardrails, retrieval, prompt and
#: model versioning; +0.2 on the classic range, assumed) and more commitment to change the
#: workflow whose value is unclear (Gartner 2024; MIT NANDA 2025's "learning gap"; +0.2,
#: assumed). The vendor changes the model about 1.5 times a year (Chen, Zaharia & Zou 2023
#: saw large changes between snapshots three months apart; assumed rate); a hallucination
#: reaches users about once in two years at zero rigour (assumed).
GENAI = UseCaseClass(
    difficulty=(0.2, 1.0), data_needs=(0.0, 0.8), risk=(0.3, 0.7), infra_need=(0.3, 1.05),
    commit_need=(0.35, 0.85), drift=1.0, vendor_change_rate=0.03, hallucination_rate=0.01,
    value_without_users=0.25)

#: Off-the-shelf assistants (chat, office and coding assistants) rolled out to a unit. Easy to
#: pilot: little difficulty, data work or infrastructure (a SaaS product; assumed ranges); mostly
#: low risk (assumed 0.6 low / 0.35 medium); the commitment ranges of classic ML (nothing says a
#: unit commits to them more easily: their 20% that stall do so for want of a business case,
#: MIT NANDA 2025); the vendor maintains the model, so no drift or model
#: shocks to manage, and users check the output, so no hallucination incidents (assumed). Value
#: comes only through use: nothing without adopters.
ASSISTANT = UseCaseClass(
    difficulty=(0.0, 0.3), data_needs=(0.0, 0.2), risk=(0.6, 0.95), infra_need=(0.0, 0.3),
    commit_need=(0.1, 0.55), drift=0.0, vendor_change_rate=0.0, hallucination_rate=0.0,
    value_without_users=0.0, off_the_shelf=True)


@dataclass(frozen=True)
class PortfolioParams:
    """Constants of use-case classes and sourcing (calibration, not levers).

    Args:
        classic: The classic-ML class.
        genai: The custom-GenAI class.
        assistant: The off-the-shelf assistant class.
        vendor_modelling: Share of modelling effort left to the firm for a bought use case.
        vendor_data: Share of data work left to the firm for a bought use case.
        vendor_hosting: Infrastructure need of a bought use case relative to a build.
        proven_bonus: Technical-success bonus of a bought product (it works elsewhere).
        vendor_fit: Value of a bought custom use case relative to a build (weaker fit).
        licence: Yearly licence of a bought custom use case when live, $M.
        seat_price: Yearly licence of an assistant per seat of its unit when live, $.
        pilot_licence: Share of the full licence paid while a bought use case is piloted.
        seat_value: Yearly value of an assistant per adopting seat at full quality, $.
        price_rise: Yearly rise of a licence's price, a fraction (vendor lock-in).
        switching_weeks: Weeks of licence paid once when a bought live use case is retired.
        vendor_shock: Smallest quality loss of a vendor model change.
        vendor_shock_span: Spread of that loss (uniform on top of the smallest).
    """

    classic: UseCaseClass = CLASSIC
    genai: UseCaseClass = GENAI
    assistant: UseCaseClass = ASSISTANT
    vendor_modelling: float = 0.4
    vendor_data: float = 0.5
    vendor_hosting: float = 0.6
    proven_bonus: float = 0.15
    vendor_fit: float = 0.8
    licence: float = 0.15
    seat_price: float = 360.0
    pilot_licence: float = 0.2
    seat_value: float = 1000.0
    price_rise: float = 0.07
    switching_weeks: float = 26.0
    vendor_shock: float = 0.05
    vendor_shock_span: float = 0.2

    def of(self, kind: UseCaseKind) -> UseCaseClass:
        """The class table column of ``kind``."""
        return (self.classic, self.genai, self.assistant)[kind]


# --- 1. ideas: class, sourcing and attributes ---------------------------------------------


@dataclass(frozen=True)
class IdeaMix:
    """What decides the class and sourcing of new ideas (levers and unit sizes).

    Args:
        genai_share: Share of custom ideas (not assistants) that are GenAI, 0-1.
        assistant_share: Share of all ideas that are off-the-shelf assistants, 0-1.
        buy_share: Share of custom ideas bought from a vendor, 0-1.
        seats: Employees in each unit (the seats an assistant is licensed for).
        params: The class table and sourcing constants.
        high_risk_share: Share of classic ideas in the high risk class (the sector's risk).
    """

    genai_share: float
    assistant_share: float
    buy_share: float
    seats: tuple[float, ...]
    params: PortfolioParams
    high_risk_share: float = 0.15


#: Share of classic ideas in the high risk class in the class table (the default sector).
TABLE_HIGH_RISK = 1.0 - CLASSIC.risk[1]


def sector_risk(low: np.ndarray, low_or_medium: np.ndarray,
                high_risk_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Class risk thresholds moved to a sector's share of high-risk ideas.

    ``high_risk_share`` is the share of classic ideas in the high class (a bank or insurer has
    more regulated decisions than a retailer); every class's high share is scaled by the same
    factor over the table's 0.15 (capped at 1), and its low and medium shares keep their ratio.
    """
    p_high = 1.0 - low_or_medium
    new_high = np.minimum(1.0, p_high * high_risk_share / TABLE_HIGH_RISK)
    keep = np.where(p_high < 1.0, (1.0 - new_high) / np.maximum(1.0 - p_high, 1e-12), 0.0)
    return low * keep, 1.0 - new_high


def idea_mix(model: EnterpriseModel) -> IdeaMix:
    """This week's :class:`IdeaMix` from the model's levers."""
    lv = model.levers
    return IdeaMix(lv["genai_share"], lv["assistant_share"], lv["buy_share"],
                   tuple(model.unit_headcount.tolist()), model.portfolio_params,
                   lv["high_risk_share"])


def draw_kinds(mix: IdeaMix, rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Class and bought flag of ``k`` ideas: two uniform draws each, in one call.

    The first draw picks the class (assistant with ``assistant_share``, else GenAI with
    ``genai_share``, else classic), the second the sourcing (bought with ``buy_share``;
    assistants always), so a change of one share leaves the other attribute of every idea as it
    was (common random numbers).

    Returns:
        The kinds (ints of :class:`UseCaseKind`) and the bought flags, one each per idea.
    """
    u = rng.random((k, 2))
    a = mix.assistant_share
    kind = np.where(u[:, 0] < a, int(UseCaseKind.ASSISTANT),
                    np.where(u[:, 0] < a + (1.0 - a) * mix.genai_share,
                             int(UseCaseKind.GENAI), int(UseCaseKind.CLASSIC)))
    bought = (_field(mix.params, "off_the_shelf", kind) > 0) | (u[:, 1] < mix.buy_share)
    return kind, bought


def _field(params: PortfolioParams, name: str, kind: np.ndarray) -> np.ndarray:
    """A class-table field for every idea: shape (ideas,), or (2, ideas) for a range."""
    table = np.array([getattr(params.of(k), name) for k in UseCaseKind], dtype=float)
    return table[kind].T


def shape_ideas(kind: np.ndarray, bought: np.ndarray, units: np.ndarray, lognormal: np.ndarray,
                value_scale: float, difficulty: np.ndarray, data_needs: np.ndarray,
                u_risk: np.ndarray, u_infra: np.ndarray, u_commit: np.ndarray,
                mix: IdeaMix | None) -> list[np.ndarray]:
    """Each idea's attributes from its class, its sourcing and its own draws.

    Args:
        kind: Class of each idea (ints of :class:`UseCaseKind`).
        bought: Whether each idea is bought.
        units: Owning unit of each idea.
        lognormal: Lognormal(0, 1) draws of value.
        value_scale: Median yearly value of a custom use case, $M.
        difficulty: Beta(2, 2) draws, 0-1.
        data_needs: Beta(3, 2) draws, 0-1.
        u_risk: Uniform draws of the risk class.
        u_infra: Uniform draws of the infrastructure need.
        u_commit: Uniform draws of the commitment need.
        mix: Seats and the class table; None for the default table (seats are then needed
            only if there are assistants, and there are none without a mix).

    Returns:
        Arrays of value potential ($M per year), difficulty, data needs, risk class (0-2),
        infrastructure need and commitment need.

    A bought idea needs less infrastructure (``vendor_hosting``: the vendor runs it); a bought
    custom idea is worth ``vendor_fit`` of a build (AI-as-a-Service "may ... limit
    customization", the source text); an assistant is worth ``seat_value`` per seat of its unit
    at full adoption, times its own lognormal draw.
    """
    params = mix.params if mix is not None else PortfolioParams()
    lo, hi = _field(params, "difficulty", kind)
    difficulty = lo + (hi - lo) * difficulty
    lo, hi = _field(params, "data_needs", kind)
    data_needs = lo + (hi - lo) * data_needs
    low, low_or_medium = _field(params, "risk", kind)
    if mix is not None and mix.high_risk_share != TABLE_HIGH_RISK:
        low, low_or_medium = sector_risk(low, low_or_medium, mix.high_risk_share)
    risk = (u_risk >= low).astype(np.int64) + (u_risk >= low_or_medium)
    lo, hi = _field(params, "infra_need", kind)
    infra = lo + (hi - lo) * u_infra
    lo, hi = _field(params, "commit_need", kind)
    commit = lo + (hi - lo) * u_commit
    value = value_scale * lognormal
    if bought.any():
        shelf = _field(params, "off_the_shelf", kind) > 0
        infra = np.where(bought, infra * params.vendor_hosting, infra)
        value = np.where(bought & ~shelf, value * params.vendor_fit, value)
        if shelf.any():
            seats = np.asarray(mix.seats)[units]
            value = np.where(shelf, lognormal * params.seat_value * seats / 1e6, value)
    return [value, difficulty, data_needs, risk, infra, commit]


def copy_value(model: EnterpriseModel, uc: UseCase, target: int) -> float:
    """Value potential of a copy of ``uc`` in unit ``target``, $M per year.

    A custom use case is worth the same anywhere; an assistant is worth its value per seat times
    the target unit's seats.
    """
    if not model.portfolio_params.of(uc.kind).off_the_shelf:
        return uc.value_potential
    seats = model.unit_headcount
    return uc.value_potential * seats[target] / seats[uc.unit]


# --- 2. building: effort and technical success ----------------------------------------------


def sourced_effort(model: EnterpriseModel, uc: UseCase, modelling: float,
                   data: float) -> tuple[float, float]:
    """Modelling and data person-weeks left to the firm once sourcing is taken into account.

    A bought use case is configured and integrated rather than built: ``vendor_modelling`` of
    the modelling and ``vendor_data`` of the data work remain, since the vendor's model comes
    trained (MIT NANDA 2025; the source text: AI-as-a-Service "lowers barriers"). Assumed
    shares. A build keeps all of it.
    """
    if not uc.bought:
        return modelling, data
    pp = model.portfolio_params
    return modelling * pp.vendor_modelling, data * pp.vendor_data


def proven_bonus(model: EnterpriseModel, uc: UseCase) -> float:
    """Addition to the chance that a finished pilot works: a bought product works elsewhere.

    The same bonus as a copy of a use case live in another unit gets (ODD section 7.4); 0 for a
    build.
    """
    return model.portfolio_params.proven_bonus if uc.bought else 0.0


# --- 3. life in production -------------------------------------------------------------------


def weekly_hazards(model: EnterpriseModel, live: list[UseCase],
                   u: np.ndarray | None = None) -> list[tuple[float, float, bool]]:
    """This week's class hazards of each live use case: drift factor, vendor shock, hallucination.

    Args:
        model: The model.
        live: The live use cases, in go-live order.
        u: Uniform draws, one row of three per use case (vendor model change, its size,
            hallucination); by default drawn from the ``portfolio`` stream, for every live use
            case whatever its class, so one use case's fate does not shift the others' draws.

    Returns:
        One ``(drift, vendor_loss, hallucinated)`` per use case:

        - ``drift`` multiplies its gradual drift and its data-shock rate: the class's ``drift``,
          1 for models the firm runs on its own data, 0 for an assistant, whose vendor keeps
          the general-purpose model up to date (assumed).
        - ``vendor_loss`` is the quality lost to a change of the vendor's underlying model:
          custom GenAI is built on a hosted model its vendor updates or retires at will, and
          the "same" model can behave very differently three months later (Chen, Zaharia &
          Zou 2023). With the class's weekly ``vendor_change_rate`` the quality falls by
          ``vendor_shock + vendor_shock_span x U``; monitoring then finds it like any drift.
        - ``hallucinated``: made-up output reached users, with weekly probability
          ``hallucination_rate x (1 - 0.7 governance_rigour)`` (review and guardrails catch
          most of it, as they catch unnoticed drift). Hallucination is in the nature of
          generative models (Ji et al. 2023); classic models have none, nor do assistants,
          whose users check what they get. The pipeline makes it an incident.

    Vendor model changes and hallucinations are counted in ``model.counters``.
    """
    pp = model.portfolio_params
    if u is None:
        u = model.streams["portfolio"].random((len(live), 3))
    classes = (pp.classic, pp.genai, pp.assistant)
    review = 1.0 - 0.7 * model.levers["governance_rigour"]
    out = []
    changes = hallucinations = 0
    # Plain Python: a few dozen live use cases are faster this way than as numpy arrays.
    for uc, (u_change, u_size, u_hallucination) in zip(live, u.tolist(), strict=True):
        cls = classes[uc.kind]
        loss = 0.0
        if u_change < cls.vendor_change_rate:
            loss = pp.vendor_shock + pp.vendor_shock_span * u_size
            changes += 1
        hallucinated = u_hallucination < cls.hallucination_rate * review
        hallucinations += hallucinated
        out.append((cls.drift, loss, hallucinated))
    model.counters["vendor_model_changes"] += changes
    model.counters["hallucinations"] += hallucinations
    return out


# --- 4. value and cost ----------------------------------------------------------------------


def value_without_users(model: EnterpriseModel) -> tuple[float, ...]:
    """Share of a live use case's value (at its quality) delivered with no adopters, by class.

    A live use case yields ``v + (1 - v) x unit_adoption`` of its value at its quality: a
    classic or GenAI model delivers a quarter of it with nobody using it (scoring and routing
    run on their own), an assistant nothing, since its value comes from the employees who use
    it. Indexed by :class:`UseCaseKind`.
    """
    pp = model.portfolio_params
    return tuple(pp.of(k).value_without_users for k in UseCaseKind)


def licence_weekly(model: EnterpriseModel, uc: UseCase, full: bool) -> float:
    """Weekly licence of a bought use case, $M (0 for a build).

    A custom use case pays ``licence`` a year (assumed: about twice the AI-team time that
    buying saves it, at ``PipelineParams.salary``); an assistant ``seat_price`` per seat of its
    unit (Microsoft 365 Copilot's list price). A pilot pays ``pilot_licence`` of that (a paid
    proof of concept, a pilot group's seats; assumed). The price rises by ``price_rise`` a year
    from the pilot's start: once the firm depends on the vendor, switching would cost more
    than the rise (source text: AI-as-a-Service "may create vendor dependencies"; yearly
    uplifts of 3-10% are common in SaaS contracts, by practitioners' guides; 7% assumed).

    Args:
        model: The model.
        uc: A use case.
        full: The full licence (live), rather than a pilot's.
    """
    if not uc.bought:
        return 0.0
    return _licence(model.portfolio_params, uc, full, model.unit_headcount.tolist(),
                    int(model.time))


def _licence(pp: PortfolioParams, uc: UseCase, full: bool, seats: list[float],
             now: int) -> float:
    """:func:`licence_weekly` of a bought use case, with the unit seats and week given."""
    if pp.of(uc.kind).off_the_shelf:
        yearly = pp.seat_price * seats[uc.unit] / 1e6
    else:
        yearly = pp.licence
    if not full:
        yearly *= pp.pilot_licence
    return yearly / 52.0 * (1.0 + pp.price_rise) ** ((now - uc.pilot_week) / 52.0)


def licence_cost(model: EnterpriseModel) -> float:
    """Vendor costs this week, $M: licences of bought pilots and live use cases, and exits.

    Pilots (building or in purgatory) pay the pilot licence, live ones the full licence; a
    bought use case retired this week pays ``switching_weeks`` of its licence once (exit,
    migration, the next vendor's onboarding; assumed).
    """
    pp = model.portfolio_params
    now = int(model.time)
    seats = model.unit_headcount.tolist()
    total = 0.0
    for stage in (Stage.PILOT, Stage.PURGATORY):
        for uc in model.use_cases_in(stage):
            if uc.bought:
                total += _licence(pp, uc, False, seats, now)
    for uc in model.live_use_cases():
        if uc.bought:
            total += _licence(pp, uc, True, seats, now)
    for uc in reversed(model.use_cases_in(Stage.RETIRED)):
        if uc.stage_week < now:
            break  # retired earlier (the index is in order of retirement)
        if uc.bought:
            total += pp.switching_weeks * _licence(pp, uc, True, seats, now)
    return total
