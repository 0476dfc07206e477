"""Organisations, the people who act for them, and the conflicts they declare."""

from datetime import datetime

from sqlmodel import Field, Relationship, SQLModel, UniqueConstraint

from review_model.tables.base import created_at_field, enum_column, json_field, timestamp_field
from review_model.vocabulary import FederalState, Language, OrganisationKind


class Organisation(SQLModel, table=True):
    """A body that takes part: a ministry, a Land, a city, a district, a company, a university, an NGO."""

    __tablename__ = "organisations"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    kind: OrganisationKind = Field(sa_column=enum_column(OrganisationKind, index=True))
    state: FederalState | None = Field(default=None, sa_column=enum_column(FederalState, nullable=True))
    created_at: datetime = created_at_field()

    participants: list["Participant"] = Relationship(back_populates="organisation")


class Participant(SQLModel, table=True):
    """A person, identified by email address (stored lower-case), acting for one organisation."""

    __tablename__ = "participants"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=200)
    organisation_id: int = Field(foreign_key="organisations.id", index=True)
    language: Language = Field(sa_column=enum_column(Language))
    # Fields of action the person can judge as a reviewer (keys such as "mobilitaet").
    expertise: list[str] = json_field(list)
    created_at: datetime = created_at_field()
    updated_at: datetime | None = timestamp_field()
    # Set when the person was erased (review_model.erasure): name, address and links are gone, the row stays
    # so that what their organisation submitted and reviewed keeps its place.
    erased_at: datetime | None = timestamp_field()

    organisation: Organisation = Relationship(back_populates="participants")


class ConflictDeclaration(SQLModel, table=True):
    """A person declares they must not review an organisation (beyond their own, which is always excluded)."""

    __tablename__ = "conflict_declarations"
    __table_args__ = (UniqueConstraint("participant_id", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participants.id", index=True)
    organisation_id: int = Field(foreign_key="organisations.id")
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_at_field()


class ReviewPreference(SQLModel, table=True):
    """A person would like to review an organisation (a coordinator's or their own wish); raises the affinity."""

    __tablename__ = "review_preferences"
    __table_args__ = (UniqueConstraint("participant_id", "organisation_id"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participants.id", index=True)
    organisation_id: int = Field(foreign_key="organisations.id")
    created_at: datetime = created_at_field()
