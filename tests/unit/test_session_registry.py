"""server.engine.sessions.SessionRegistry: the one owner of who holds which attempt."""

from __future__ import annotations

import uuid

from syncplane.server.engine.sessions import ExecutorSession, SessionRegistry


def _session(executor_id: str = "e1", slots: int = 2) -> ExecutorSession:
    return ExecutorSession(executor_id=executor_id, group="default", connectors=frozenset({"noop"}), slots=slots)


def test_assign_and_release_move_the_holder_index_and_the_slots() -> None:
    registry = SessionRegistry()
    added: list[str] = []
    freed: list[str] = []
    registry.on_added(lambda: added.append("added"))
    registry.on_freed(lambda: freed.append("freed"))
    session = _session()
    registry.add(session)
    assert added == ["added"] and registry.connected() == 1 and registry.free_slots() == 2

    run = uuid.uuid4()
    registry.assign(session, run, 7)
    assert registry.holder(run, 7) is session
    assert registry.holder(run, 6) is None  # another attempt of that run is not held here
    assert session.free_slots == 1 and dict(session.running) == {run: 7}

    registry.release(session, run)
    assert registry.holder(run, 7) is None and session.free_slots == 2 and freed == ["freed"]


def test_adopted_attempts_are_held_once_the_session_is_added() -> None:
    registry = SessionRegistry()
    session = _session()
    run = uuid.uuid4()
    registry.adopt(session, run, 3)
    assert registry.holder(run, 3) is None  # not yet a session of this server
    registry.add(session)
    assert registry.holder(run, 3) is session and session.free_slots == 1


def test_a_removed_session_holds_nothing_and_takes_no_work() -> None:
    registry = SessionRegistry()
    session, other = _session("e1"), _session("e2", slots=1)
    registry.add(session)
    registry.add(other)
    run = uuid.uuid4()
    registry.assign(session, run, 1)
    registry.remove(session)
    assert session.closed and session.free_slots == 0
    assert registry.holder(run, 1) is None
    assert [s.executor_id for s in registry] == ["e2"] and registry.by_executor("e1") == []
    registry.close_all()
    assert other.closed and registry.connected() == 0


def test_a_draining_session_has_no_free_slots() -> None:
    registry = SessionRegistry()
    session = _session()
    registry.add(session)
    session.draining = True
    assert registry.free_slots() == 0
