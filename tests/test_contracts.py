"""A program's calls: how a call that failed elsewhere (in a jail answering them) is reported here."""

from aurora_evo.contracts import CallFailed, OutputStatus, exception_status


def test_a_call_that_failed_elsewhere_is_reported_as_its_failure_never_as_a_success():
    assert exception_status(CallFailed(OutputStatus.NOT_FINITE, "")) == (OutputStatus.NOT_FINITE, "")
    assert exception_status(CallFailed(OutputStatus.RAISED, "ValueError: no")) == (
        OutputStatus.RAISED,
        "ValueError: no",
    )
    # A program could raise one itself: claiming success makes it a plain exception.
    status, detail = exception_status(CallFailed(OutputStatus.OK, "fine"))
    assert status is OutputStatus.RAISED and detail == "CallFailed: fine"
