"""Who may see and change what in the console: the roles as rules, one place for every page and action.

- An administrator manages staff, and sees and runs every round (an administrator could name themself for
  any round anyway; a rule that pretended otherwise would only add a step).
- A coordinator sees and runs the rounds they are named for, and creates rounds (which names them).
- An observer sees the rounds they are named for, their console and draft report, and changes nothing.
"""

from dataclasses import dataclass

from sqlmodel import Session, select

from review_model.tables import RoundStaff, StaffAccount
from review_model.vocabulary import StaffRole


@dataclass(frozen=True)
class StaffAccess:
    """What one member of staff may do: their role and the rounds they are named for."""

    email: str
    role: StaffRole
    named_for: frozenset[int]

    @property
    def manages_staff(self) -> bool:
        return self.role is StaffRole.admin

    @property
    def erases_people(self) -> bool:
        """Erasing reaches every round a person takes part in, also rounds a coordinator does not see."""
        return self.role is StaffRole.admin

    @property
    def creates_rounds(self) -> bool:
        return self.role in (StaffRole.admin, StaffRole.coordinator)

    def sees(self, round_id: int) -> bool:
        """Whether the round appears in the console for this person."""
        return self.role is StaffRole.admin or round_id in self.named_for

    def runs(self, round_id: int) -> bool:
        """Whether this person may act on the round (every POST of its console)."""
        return self.role is StaffRole.admin or (self.role is StaffRole.coordinator and round_id in self.named_for)

    def visible_rounds(self) -> frozenset[int] | None:
        """The rounds this person sees; None for every round."""
        return None if self.role is StaffRole.admin else self.named_for


def staff_access(session: Session, account: StaffAccount) -> StaffAccess:
    """The access of an account, read from the rounds that name it."""
    rounds = session.exec(select(RoundStaff.round_id).where(RoundStaff.email == account.email)).all()
    return StaffAccess(account.email, account.role, frozenset(rounds))
