"""Uploads: the limits, and files that never outlive a transaction that did not commit."""

from __future__ import annotations

import pytest

from accounts.service import principal_for_user
from aftercare.config import get_settings
from helpdesk import service
from helpdesk.attachments.service import (
    AttachmentRefused,
    CheckedUpload,
    Problem,
    Upload,
    attach_uploads,
    check_uploads,
)
from helpdesk.attachments.storage import attachments_dir
from helpdesk.schemas import MessageCreate
from tests.factories import create_staff, create_ticket

LOG = b"10:00 boot\n"


def _settings(**values):
    return get_settings().model_copy(update=values)


def test_more_files_than_allowed_are_refused():
    with pytest.raises(AttachmentRefused) as refused:
        check_uploads([Upload(f"{n}.log", "text/plain", LOG) for n in range(3)], _settings(attachment_max_count=2))
    assert (refused.value.problem, refused.value.limit) == (Problem.TOO_MANY, 2)


def test_a_file_over_the_size_limit_is_refused_with_413():
    with pytest.raises(AttachmentRefused) as refused:
        check_uploads([Upload("big.log", "text/plain", b"x" * 11)], _settings(attachment_max_bytes=10))
    assert (refused.value.problem, refused.value.status_code) == (Problem.TOO_LARGE, 413)


def test_an_empty_file_input_is_no_file():
    assert check_uploads([Upload("", "application/octet-stream", b"")], _settings()) == []


def test_an_empty_named_file_is_refused():
    with pytest.raises(AttachmentRefused) as refused:
        check_uploads([Upload("empty.txt", "text/plain", b"")], _settings())
    assert refused.value.problem == Problem.EMPTY


def _attach(session, settings):
    ticket = create_ticket(session)
    agent = principal_for_user(create_staff(session))
    message = service.add_message(session, ticket, MessageCreate(body="See the log."), agent)
    [row] = attach_uploads(session, ticket, message, [CheckedUpload("boot.log", "text/plain", LOG)], agent, settings)
    return attachments_dir(settings.data_dir) / row.stored_name


def test_a_committed_upload_stays_on_disk(database):
    settings = get_settings()
    with database.session() as session:
        path = _attach(session, settings)
    assert path.read_bytes() == LOG


def test_an_upload_whose_transaction_rolls_back_is_removed(database):
    settings = get_settings()
    with database.session() as session:
        path = _attach(session, settings)
        assert path.exists()
        session.rollback()
    assert not path.exists()


def test_an_upload_in_a_rolled_back_savepoint_is_removed(database):
    settings = get_settings()
    with database.session() as session:
        savepoint = session.begin_nested()
        path = _attach(session, settings)
        savepoint.rollback()
        assert not path.exists()
