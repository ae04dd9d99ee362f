"""Regions of Jilin (province, prefectures, counties) and agency units (agency type x region)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotline.orm import Base


class RegionLevel(StrEnum):
    PROVINCE = "province"
    PREFECTURE = "prefecture"
    COUNTY = "county"


class Region(Base):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "吉林省", "长春市" or "长春市/朝阳区" — the place part of a unit code
    path: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))

    parent: Mapped[Region | None] = relationship(remote_side=[id])


class AgencyUnit(Base):
    """A concrete office such as 长春市朝阳区民政局: an agency type at one region."""

    __tablename__ = "agency_units"
    __table_args__ = (UniqueConstraint("agency", "region_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "<agency code>:<region path>", e.g. "civil_affairs:长春市/朝阳区"
    code: Mapped[str] = mapped_column(String(96), unique=True)
    agency: Mapped[str] = mapped_column(String(32), index=True)
    level: Mapped[str] = mapped_column(String(16))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    name: Mapped[str] = mapped_column(String(64))

    region: Mapped[Region] = relationship(lazy="joined")
