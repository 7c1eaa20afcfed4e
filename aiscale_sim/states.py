"""Enumerations of agent states (integers, so they can live in numpy columns)."""

from enum import IntEnum


class Role(IntEnum):
    """An employee's role."""

    FRONTLINE = 0
    MANAGER = 1
    EXECUTIVE = 2
    DATA_SCIENTIST = 3
    ML_ENGINEER = 4
    DATA_ENGINEER = 5
    MLOPS = 6

    @property
    def is_ai_staff(self) -> bool:
        """True for the roles that make up AI teams."""
        return self >= Role.DATA_SCIENTIST


class Adoption(IntEnum):
    """An employee's adoption stage (Rogers' innovation-decision process, simplified)."""

    UNAWARE = 0
    AWARE = 1
    TRYING = 2
    ADOPTED = 3
    LAPSED = 4


class Stage(IntEnum):
    """The life-cycle stage of an AI use case."""

    IDEA = 0
    PILOT = 1
    PURGATORY = 2
    PRODUCTION = 3
    SCALED = 4
    ABANDONED = 5
    RETIRED = 6

    @property
    def is_live(self) -> bool:
        """True while the use case runs in production (scaled or not)."""
        return self in (Stage.PRODUCTION, Stage.SCALED)


class UseCaseKind(IntEnum):
    """The class of an AI use case (section 7.10 of the ODD; parameters in ``portfolio``)."""

    CLASSIC = 0  #: classic predictive ML (scoring, forecasting, classification)
    GENAI = 1  #: a custom generative-AI or agentic application built for the business
    ASSISTANT = 2  #: an off-the-shelf GenAI assistant rolled out to a unit's employees

    @property
    def label(self) -> str:
        """The name used in outputs (``classic``, ``genai``, ``assistant``)."""
        return self.name.lower()


class Gate(IntEnum):
    """The tests of the production gate, in the order they are applied.

    A pilot that fails ``TECHNICAL`` is abandoned; one that works but fails any other test waits
    in purgatory, and the first test it fails is recorded as its reason.
    """

    TECHNICAL = 0
    INFRASTRUCTURE = 1
    COMMITMENT = 2
    GOVERNANCE = 3


#: Purgatory reasons as they appear in outputs.
PURGATORY_REASONS = ("infrastructure", "commitment", "governance")
