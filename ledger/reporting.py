"""Reporting settings of an organisation: the smallest count its outside reports show."""

from __future__ import annotations

from domain.rules import check_min_count
from ledger.base import LedgerBase


class ReportingUseCases(LedgerBase):
    def set_report_min_count(self, org: str, min_count: int | None) -> int:
        """The default `min_count` of reports that leave the organisation (null: none).
        Answers the position; setting the same value again records nothing."""
        check_min_count(min_count)

        def attempt() -> int:
            organisation = self._organisation(org)
            if organisation.report_min_count == min_count:
                return self.head_position()
            organisation.change_reporting(min_count)
            return self._save(organisation)

        return self._retrying(attempt)

    def report_min_count(self, org: str) -> int | None:
        return self._organisation(org).report_min_count
