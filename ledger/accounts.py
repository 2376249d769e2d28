"""Organisation and account use cases."""

from __future__ import annotations

from typing import Final

from domain.account import Account, account_stream
from domain.errors import Conflict, Forbidden
from domain.organisation import Organisation, organisation_stream
from domain.rules import (
    DEFAULT_CREDIT_LIMIT,
    DEFAULT_PENDING_EXPIRY_DAYS,
    check_credit_limit,
    check_expiry_days,
    check_kind,
    check_max_balance,
    check_name,
    check_organisation_id,
    check_ref,
    split_account_id,
)
from ledger.base import LedgerBase
from ledger.records import AccountRecord, OrganisationRecord


class Unset:
    """Marks an argument left out, as distinct from an explicit null."""


UNSET: Final = Unset()


def new_account(
    organisation: Organisation,
    ref: str,
    kind: str = "person",
    credit_limit: int | None = None,
    max_balance: int | Unset | None = UNSET,
) -> Account:
    """A new account of the organisation, not yet saved; limits default to the organisation's."""
    limit = organisation.credit_limit if credit_limit is None else credit_limit
    cap = organisation.max_balance if isinstance(max_balance, Unset) else max_balance
    return Account(
        id=account_stream(f"{organisation.org}:{ref}"),
        organisation=organisation.org,
        ref=ref,
        kind=kind,
        credit_limit=check_credit_limit(limit),
        max_balance=check_max_balance(cap),
    )


class AccountUseCases(LedgerBase):
    def register_organisation(
        self,
        org: str,
        name: str,
        credit_limit: int = DEFAULT_CREDIT_LIMIT,
        max_balance: int | None = None,
        pending_expiry_days: int = DEFAULT_PENDING_EXPIRY_DAYS,
    ) -> OrganisationRecord:
        check_organisation_id(org)
        check_name(name)
        check_credit_limit(credit_limit)
        check_max_balance(max_balance)
        check_expiry_days(pending_expiry_days)

        def attempt() -> OrganisationRecord:
            if self._find(organisation_stream(org), Organisation) is not None:
                raise Conflict(f"organisation '{org}' already exists")
            organisation = Organisation(
                id=organisation_stream(org),
                name=name,
                credit_limit=credit_limit,
                max_balance=max_balance,
                pending_expiry_days=pending_expiry_days,
            )
            return self._organisation_record(organisation, self._save(organisation))

        return self._retrying(attempt)

    def get_organisation(self, org: str) -> OrganisationRecord:
        return self._organisation_record(self._organisation(org), 0)

    def open_account(
        self,
        org: str,
        ref: str,
        kind: str = "person",
        credit_limit: int | None = None,
        max_balance: int | Unset | None = UNSET,
    ) -> AccountRecord:
        """Limits default to the organisation's; the id is `"{org}:{ref}"`."""
        check_ref(ref)
        check_kind(kind)

        def attempt() -> AccountRecord:
            organisation = self._organisation(org)
            if self._find(account_stream(f"{org}:{ref}"), Account) is not None:
                raise Conflict(f"account '{org}:{ref}' already exists")
            account = new_account(organisation, ref, kind, credit_limit, max_balance)
            return self._account_record(account, self._save(account))

        return self._retrying(attempt)

    def change_limits(
        self,
        account_id: str,
        organisation: str | None,
        credit_limit: int | None = None,
        max_balance: int | Unset | None = UNSET,
    ) -> AccountRecord:
        """A new limit applies to later exchanges and never rewrites past ones."""
        if credit_limit is not None:
            check_credit_limit(credit_limit)
        if not isinstance(max_balance, Unset):
            check_max_balance(max_balance)

        def attempt() -> AccountRecord:
            account = self._own_account(account_id, organisation)
            limit = account.credit_limit if credit_limit is None else credit_limit
            cap = account.max_balance if isinstance(max_balance, Unset) else max_balance
            if (limit, cap) == (account.credit_limit, account.max_balance):
                return self._account_record(account, self.head_position())
            account.change_limits(limit, cap)
            return self._account_record(account, self._save(account))

        return self._retrying(attempt)

    def close_account(self, account_id: str, organisation: str | None) -> AccountRecord:
        """A closed account takes no new exchange; its history and balance stay readable."""

        def attempt() -> AccountRecord:
            account = self._own_account(account_id, organisation)
            if account.status == "closed":
                return self._account_record(account, self.head_position())
            account.close()
            return self._account_record(account, self._save(account))

        return self._retrying(attempt)

    def get_account(self, account_id: str) -> AccountRecord:
        return self._account_record(self._account(account_id), 0)

    def _own_account(self, account_id: str, organisation: str | None) -> Account:
        """Judged on the id's organisation before any look-up, so that another organisation's
        account answers the same whether or not it exists."""
        owner, _ = split_account_id(account_id)
        if organisation is not None and owner != organisation:
            raise Forbidden(f"account {account_id} is not one of {organisation}'s")
        return self._account(account_id)

    @staticmethod
    def _organisation_record(organisation: Organisation, position: int) -> OrganisationRecord:
        return OrganisationRecord(
            id=organisation.org,
            name=organisation.name,
            credit_limit=organisation.credit_limit,
            max_balance=organisation.max_balance,
            pending_expiry_days=organisation.pending_expiry_days,
            position=position,
        )

    @staticmethod
    def _account_record(account: Account, position: int) -> AccountRecord:
        return AccountRecord(
            id=account.account_id,
            organisation=account.organisation,
            ref=account.ref,
            kind=account.kind,
            status=account.status,
            credit_limit=account.credit_limit,
            max_balance=account.max_balance,
            balance=account.balance,
            given=account.given,
            received=account.received,
            over_limit=account.over_limit,
            position=position,
        )
