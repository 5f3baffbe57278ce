"""A scripted executor for the identity dialect's end-to-end tests.

It speaks the real executor protocol (Hello, Accepted, Progress, Finished,
heartbeats, Cancel) to a real server process, and plays a script per run type
instead of touching a directory or a file: the server side's behaviour (activity
status rules, progress, watch, cancel, schema import) is tested on its own,
whatever the real identity connector does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import grpc

from syncplane.engine.v1 import executor_pb2 as pb
from syncplane.engine.v1 import executor_pb2_grpc
from syncplane.wire import from_struct, to_struct


@dataclass
class Step:
    """One thing a scripted run does: report `detail`, sleep, wait for a gate,
    wait to be cancelled, or finish (`outcome` "succeeded" | "failed")."""

    kind: str
    detail: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    outcome: str = "succeeded"
    error: str = ""
    gate: asyncio.Event | None = None


def progress(**detail: Any) -> Step:
    return Step("progress", detail)


def sleep(seconds: float) -> Step:
    return Step("sleep", seconds=seconds)


def wait_for(gate: asyncio.Event) -> Step:
    """Holds the run until the test opens `gate` (no guessing how long to sleep)."""
    return Step("wait_gate", gate=gate)


def wait_for_cancel() -> Step:
    return Step("wait_cancel")


def finish(outcome: str = "succeeded", error: str = "", **detail: Any) -> Step:
    return Step("finish", detail, outcome=outcome, error=error)


@dataclass
class _Attempt:
    run_id: str
    token: int
    spec: dict[str, Any]
    secrets: dict[str, Any]
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)


class ScriptedExecutor:
    def __init__(self, target: str, token: str, scripts: dict[str, list[Step]], *, executor_id: str = "scripted") -> None:
        self._target = target
        self._token = token
        self.scripts = scripts
        self._id = executor_id
        self._out: asyncio.Queue[pb.ExecutorMessage | None] = asyncio.Queue()
        self._running: dict[str, _Attempt] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._main: asyncio.Task[None] | None = None
        self._channel: grpc.aio.Channel | None = None
        #: Every assignment received: (spec, secrets).
        self.assigned: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self.welcomed = asyncio.Event()

    async def start(self) -> ScriptedExecutor:
        self._channel = grpc.aio.insecure_channel(self._target)
        self._main = asyncio.create_task(self._session())
        await asyncio.wait_for(self.welcomed.wait(), 15)
        return self

    async def stop(self) -> None:
        for task in [*self._tasks, *([self._main] if self._main else [])]:
            task.cancel()
        await asyncio.gather(*self._tasks, *([self._main] if self._main else []), return_exceptions=True)
        if self._channel is not None:
            await self._channel.close()

    async def _outgoing(self) -> AsyncIterator[pb.ExecutorMessage]:
        while True:
            message = await self._out.get()
            if message is None:
                return
            yield message

    async def _session(self) -> None:
        assert self._channel is not None
        stub = executor_pb2_grpc.ExecutorServiceStub(self._channel)
        call = stub.Connect(self._outgoing(), metadata=[("authorization", f"Bearer {self._token}")])
        self._out.put_nowait(pb.ExecutorMessage(hello=pb.Hello(
            executor_id=self._id, group="default", connectors=["identity"], slots=2, version="scripted")))
        async for message in call:
            kind = message.WhichOneof("kind")
            if kind == "welcome":
                self._spawn(self._heartbeats(message.welcome.heartbeat_interval_seconds or 0.5))
                self.welcomed.set()
            elif kind == "assign":
                a = message.assign
                attempt = _Attempt(a.run_id, a.token, from_struct(a.spec), from_struct(a.secrets))
                self.assigned.append((attempt.spec, attempt.secrets))
                self._running[a.run_id] = attempt
                self._spawn(self._play(attempt))
            elif kind == "cancel" and message.cancel.run_id in self._running:
                self._running[message.cancel.run_id].cancelled.set()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _heartbeats(self, interval: float) -> None:
        while True:
            refs = [pb.AttemptRef(run_id=a.run_id, token=a.token) for a in self._running.values()]
            self._out.put_nowait(pb.ExecutorMessage(heartbeat=pb.Heartbeat(running=refs, free_slots=2 - len(refs))))
            await asyncio.sleep(min(interval, 0.5))

    async def _play(self, attempt: _Attempt) -> None:
        ref = pb.AttemptRef(run_id=attempt.run_id, token=attempt.token)
        self._out.put_nowait(pb.ExecutorMessage(accepted=pb.Accepted(attempt=ref)))
        detail: dict[str, Any] = {}
        steps = self.scripts.get(attempt.spec.get("runType", ""), [finish()])
        outcome, error = "succeeded", ""
        for step in steps:
            if step.kind == "progress":
                detail.update(step.detail)
                self._out.put_nowait(pb.ExecutorMessage(progress=pb.Progress(
                    attempt=ref, phase=str(detail.get("currentPhase", "")), message=str(detail.get("message", "")),
                    detail=to_struct(detail))))
            elif step.kind == "sleep":
                await asyncio.sleep(step.seconds)
            elif step.kind == "wait_gate":
                assert step.gate is not None
                await step.gate.wait()
            elif step.kind == "wait_cancel":
                await attempt.cancelled.wait()
                outcome = "cancelled"
                break
            elif step.kind == "finish":
                detail.update(step.detail)
                outcome, error = step.outcome, step.error
                break
        codes = {"succeeded": pb.OUTCOME_SUCCEEDED, "failed": pb.OUTCOME_FAILED, "cancelled": pb.OUTCOME_CANCELLED}
        self._out.put_nowait(pb.ExecutorMessage(finished=pb.Finished(
            attempt=ref, outcome=codes[outcome], error=error,
            reason_code="run_error" if outcome == "failed" else "", summary=to_struct({"detail": detail}))))
        self._running.pop(attempt.run_id, None)
