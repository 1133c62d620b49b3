"""MicroBatcher: items from concurrent callers (threads or coroutines) go through one
`process` call per batch; batches grow under load; errors and gone callers are handled."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.batching import MicroBatcher, PriorityGate
from tests.e2e.harness import wait_until

pytestmark = pytest.mark.unit


class SlowDoubler:
    """Doubles each item; the first batch blocks until released, so others pile up."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = threading.Event()
        self.started = threading.Event()

    def __call__(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        self.started.set()
        self.release.wait(10)
        if any(i < 0 for i in items):
            raise ValueError("negative")
        return [i * 2 for i in items]


def test_items_arriving_during_a_batch_form_the_next_batch() -> None:
    process = SlowDoubler()
    batcher = MicroBatcher(process, max_batch=64, max_wait_s=0.0)
    with ThreadPoolExecutor(20) as pool:
        first = pool.submit(batcher.submit, 0)
        process.started.wait(5)  # batch [0] is being processed: the others queue up
        rest = [pool.submit(batcher.submit, i) for i in range(1, 20)]
        while batcher._inbox.qsize() < 19:
            threading.Event().wait(0.01)
        process.release.set()
        assert first.result(5) == 0 and [f.result(5) for f in rest] == list(range(2, 40, 2))
    assert process.batches[0] == [0] and sorted(process.batches[1]) == list(range(1, 20))


def held(batcher: MicroBatcher[int, int]) -> int:
    """Items the batching thread holds (read from another thread: retried if it changed)."""
    while True:
        try:
            return batcher._held()
        except RuntimeError:  # its dict changed size while counted
            continue


def test_the_item_of_a_job_running_alone_does_not_wait_for_company() -> None:
    """One job of the kind running in the process: its item is processed at once, not
    after `max_wait_s` (a minute here: the test would time out)."""
    process = SlowDoubler()
    process.release.set()
    batcher = MicroBatcher(process, max_batch=8, max_wait_s=60, running=lambda: 1)
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(batcher.submit, 4).result(timeout=20) == 8
    assert process.batches == [[4]]


def test_with_another_job_running_the_batch_waits_for_its_item() -> None:
    """Two jobs running: the first item waits (here until the batch of two is full) for
    the other's, so a burst still forms batches."""
    process = SlowDoubler()
    process.release.set()
    batcher = MicroBatcher(process, max_batch=2, max_wait_s=60, running=lambda: 2)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(batcher.submit, 1)
        wait_until(lambda: held(batcher) == 1, 10, "the first item held")
        assert process.batches == []
        second = pool.submit(batcher.submit, 2)
        assert (first.result(timeout=20), second.result(timeout=20)) == (2, 4)
    assert process.batches == [[1, 2]]


def test_a_failing_batch_fails_each_of_its_callers() -> None:
    process = SlowDoubler()
    process.release.set()
    batcher = MicroBatcher(process, max_batch=8, max_wait_s=0.0)
    with pytest.raises(ValueError, match="negative"):
        batcher.submit(-1)
    assert batcher.submit(3) == 6  # the batcher lives on


def test_submit_async_awaits_without_a_thread_and_survives_a_gone_caller() -> None:
    process = SlowDoubler()
    batcher = MicroBatcher(process, max_batch=64, max_wait_s=0.0)

    async def scenario() -> list[int]:
        gone = asyncio.ensure_future(batcher.submit_async(1))
        await asyncio.sleep(0.05)
        gone.cancel()  # the request went away while its item was being processed
        waiting = [asyncio.ensure_future(batcher.submit_async(i)) for i in range(2, 6)]
        await asyncio.sleep(0.05)
        process.release.set()
        return list(await asyncio.gather(*waiting))

    assert asyncio.run(scenario()) == [4, 6, 8, 10]
    assert batcher.submit(7) == 14  # a cancelled future did not kill the batching thread


def test_a_fair_batcher_takes_one_item_per_key_in_turn() -> None:
    """Tenant A's twenty waiting items do not push tenant B's one beyond the next batch."""
    release, batches = threading.Event(), []

    def process(items):  # type: ignore[no-untyped-def]
        batches.append(list(items))
        release.wait(10)  # the first batch is slow: everything else piles up meanwhile
        return items

    batcher = MicroBatcher(process, max_batch=4, max_wait_s=0.0,
                           fair_key=lambda item: item[0], name="fair-test")
    threads = [threading.Thread(target=batcher.submit, args=(("a", i),)) for i in range(21)]
    threads[0].start()
    wait_until(lambda: batches, 5, "the first batch")
    for thread in threads[1:]:
        thread.start()
    wait_until(lambda: batcher._inbox.qsize() == 20, 5, "the pile-up")
    late = threading.Thread(target=batcher.submit, args=(("b", 0),))
    late.start()
    wait_until(lambda: batcher._inbox.qsize() == 21, 5, "tenant b's item")
    release.set()
    for thread in [*threads, late]:
        thread.join(10)
    assert ("b", 0) in batches[1]  # the very next batch
    assert [len(batch) for batch in batches] == [1, 4, 4, 4, 4, 4, 1]


def test_a_tenant_with_one_item_takes_the_express_path_past_a_busy_batch() -> None:
    release = threading.Event()
    batches: list[list[str]] = []

    def process(items):  # type: ignore[no-untyped-def]
        batches.append([tenant for tenant, _ in items])
        if any(tenant == "A" for tenant, _ in items):
            release.wait(5)  # A's batch is slow
        return [value * 2 for _, value in items]

    batcher: MicroBatcher[tuple[str, int], int] = MicroBatcher(
        process, max_batch=8, max_wait_s=0, fair_key=lambda item: item[0], express_slots=1)
    flood = [threading.Thread(target=batcher.submit, args=(("A", n),)) for n in range(4)]
    for thread in flood:
        thread.start()
    deadline = time.monotonic() + 5
    while not batches and time.monotonic() < deadline:
        time.sleep(0.01)
    assert batcher.submit(("B", 21), timeout=5) == 42  # while A's batch is still held
    assert ["B"] in batches and not release.is_set()
    release.set()
    for thread in flood:
        thread.join(5)
    assert sum(batch.count("A") for batch in batches) == 4
    assert batches.count(["B"]) == 1 and all("B" not in b for b in batches if b != ["B"])


def test_express_items_run_on_the_batchers_own_threads_in_their_callers_context() -> None:
    """Callers on 40 threads, each with an item of its own key (alone: the express path
    while others are open): the items are computed on at most `express_slots` threads of
    the batcher's own (a thread that ran the model keeps its buffers: the callers' threads
    would each grow the process), express items with their caller's log context, the rest
    on the batching thread."""
    from config.log_context import bound, current

    computed: list[tuple[int | None, int, str | None]] = []  # thread, item, its job id

    def process(items):  # type: ignore[no-untyped-def]
        computed.extend((threading.get_ident(), item, current().get("job_id"))
                        for item in items)
        return [item * 2 for item in items]

    batcher: MicroBatcher[int, int] = MicroBatcher(
        process, max_batch=8, max_wait_s=0, fair_key=lambda item: item, express_slots=2,
        name="express-test")

    def caller(n: int) -> int:
        with bound(job_id=f"job-{n}"):
            return batcher.submit(n, timeout=5)

    callers = ThreadPoolExecutor(40)
    assert list(callers.map(caller, range(200))) == [n * 2 for n in range(200)]
    callers.shutdown()
    threads = {thread.ident: thread.name for thread in threading.enumerate()}
    express = [(ident, item, job_id) for ident, item, job_id in computed
               if threads.get(ident, "").startswith("express-test-express")]
    batched = {ident for ident, _, _ in computed} - {ident for ident, _, _ in express}
    assert express and len({ident for ident, _, _ in express}) <= 2
    assert all(job_id == f"job-{item}" for _, item, job_id in express)
    assert {threads.get(ident) for ident in batched} <= {"express-test"}


def test_without_express_slots_everyone_waits_for_the_batch() -> None:
    release = threading.Event()

    def process(items):  # type: ignore[no-untyped-def]
        release.wait(5)
        return [value for _, value in items]

    batcher: MicroBatcher[tuple[str, int], int] = MicroBatcher(
        process, max_batch=8, max_wait_s=0, fair_key=lambda item: item[0])
    threading.Thread(target=batcher.submit, args=(("A", 1),)).start()
    time.sleep(0.1)
    with pytest.raises(TimeoutError):
        batcher.submit(("B", 2), timeout=0.3)
    release.set()


def test_a_light_tenants_job_has_priority_and_a_flood_does_not() -> None:
    gate = PriorityGate()
    with gate.running("A") as alone:  # nobody else is running: nothing to come first
        assert not alone
        with gate.running("A") as flood:
            assert not flood and not gate.in_priority()
            b_started, b_may_end = threading.Event(), threading.Event()
            seen: list[bool] = []

            def b_job() -> None:
                with gate.running("B") as light:
                    seen.extend([light, gate.in_priority()])
                    b_started.set()
                    b_may_end.wait(5)
                seen.append(gate.in_priority())

            thread = threading.Thread(target=b_job)
            thread.start()
            assert b_started.wait(5)
            threading.Timer(0.2, b_may_end.set).start()
            started = time.monotonic()
            gate.wait_clear(5)  # the flood's work waits until B's job ends
            assert 0.1 < time.monotonic() - started < 5
            thread.join(5)
    assert seen == [True, True, False]


def test_a_flood_batch_waits_between_chunks_while_a_light_tenants_job_runs() -> None:
    gate = PriorityGate()
    chunks: list[list[int]] = []
    light_job_done = threading.Event()
    order: list[str] = []

    def process(items: Sequence[int]) -> list[int]:
        chunks.append(list(items))
        order.append(f"chunk {len(chunks)}")
        return [item * 2 for item in items]

    batcher: MicroBatcher[int, int] = MicroBatcher(process, max_batch=8, max_wait_s=0.05,
                                                   gate=gate, yield_every=2, yield_max_s=5)
    with gate.running("A"):
        entered = threading.Event()

        def light_job() -> None:
            with gate.running("B"):
                entered.set()
                light_job_done.wait(5)
                order.append("B done")

        light = threading.Thread(target=light_job)
        light.start()
        assert entered.wait(5)
        results: list[int] = []
        flood = [threading.Thread(target=lambda n=n: results.append(batcher.submit(n)))
                 for n in range(4)]
        for thread in flood:
            thread.start()
        time.sleep(0.3)
        assert chunks == []  # the flood's batch waits for B's job
        light_job_done.set()
        for thread in [light, *flood]:
            thread.join(5)
    assert order[0] == "B done" and sorted(results) == [0, 2, 4, 6]
    assert all(len(chunk) <= 2 for chunk in chunks)


def test_the_wait_for_priority_is_bounded() -> None:
    gate = PriorityGate()
    done = threading.Event()

    def light_job() -> None:
        with gate.running("B"):
            done.wait(10)

    with gate.running("A"):
        thread = threading.Thread(target=light_job)
        thread.start()
        wait_until(lambda: not gate.in_priority() and gate._running == 1, 5, "B's job")
        batcher: MicroBatcher[int, int] = MicroBatcher(lambda items: list(items), max_batch=4,
                                                       max_wait_s=0, gate=gate,
                                                       yield_max_s=0.2)
        started = time.monotonic()
        assert batcher.submit(7, timeout=5) == 7  # after at most 0.2 s, not 10
        assert time.monotonic() - started < 5
    done.set()
    thread.join(5)


def test_a_batch_holding_a_priority_job_never_waits_for_itself() -> None:
    gate = PriorityGate()
    batcher: MicroBatcher[int, int] = MicroBatcher(lambda items: list(items), max_batch=4,
                                                   max_wait_s=0, gate=gate, yield_max_s=30)
    with gate.running("A"), gate.running("B") as light:
        assert light
        started = time.monotonic()
        assert batcher.submit(3, timeout=10) == 3  # B's own item, in a batch: no wait
        assert time.monotonic() - started < 10


def test_a_tenant_alone_keeps_whole_batches_and_chunks_return_with_a_light_job() -> None:
    gate = PriorityGate(recent_s=0.5)
    release, chunks = threading.Event(), []

    def process(items: Sequence[int]) -> list[int]:
        chunks.append(len(items))
        if len(chunks) == 1:
            release.wait(5)  # the first item holds the batcher while the rest pile up
        return list(items)

    def flood() -> None:
        batcher: MicroBatcher[int, int] = MicroBatcher(process, max_batch=8, max_wait_s=0,
                                                       gate=gate, yield_every=2)
        threads = [threading.Thread(target=batcher.submit, args=(n,)) for n in range(7)]
        threads[0].start()
        wait_until(lambda: chunks == [1], 5, "the first batch")
        for thread in threads[1:]:
            thread.start()
        wait_until(lambda: batcher._inbox.qsize() == 6, 5, "the rest")
        release.set()
        for thread in threads:
            thread.join(5)

    with gate.running("A"):
        flood()
    assert chunks == [1, 6] and not gate.contended()  # nobody else: one batch of 6

    chunks.clear()
    release.clear()
    with gate.running("A"):
        with gate.running("B") as light:
            assert light
        assert gate.contended()  # B's job ran just now: the flood goes in chunks
        flood()
    assert chunks == [1, 2, 2, 2]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness")
def test_the_batching_thread_runs_at_the_lower_priority_it_was_given() -> None:
    seen: list[int] = []

    def process(items: Sequence[int]) -> list[int]:
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return list(items)

    caller = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    batcher: MicroBatcher[int, int] = MicroBatcher(process, max_wait_s=0, thread_nice=10)
    assert batcher.submit(1, timeout=5) == 1
    assert seen == [max(10, caller)]  # a niceness, never a raise in priority
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == caller  # not ours


def test_with_a_gate_only_a_light_job_takes_the_express_path() -> None:
    release = threading.Event()
    batches: list[list[str]] = []

    def process(items):  # type: ignore[no-untyped-def]
        batches.append([tenant for tenant, _ in items])
        if "slow" in [tenant for tenant, _ in items]:
            release.wait(5)
        return [value for _, value in items]

    gate = PriorityGate()
    batcher: MicroBatcher[tuple[str, int], int] = MicroBatcher(
        process, max_batch=8, max_wait_s=0, fair_key=lambda item: item[0], express_slots=1,
        gate=gate)
    busy = threading.Thread(target=batcher.submit, args=(("slow", 0),))
    busy.start()
    deadline = time.monotonic() + 5
    while not batches and time.monotonic() < deadline:
        time.sleep(0.01)
    with gate.running("A"), gate.running("A"):  # A has two jobs in this process: not light
        with pytest.raises(TimeoutError):  # so its lone item waits for the batch
            batcher.submit(("A", 1), timeout=0.3)

        def light_job() -> int:
            with gate.running("B") as light:
                assert light
                return batcher.submit(("B", 2), timeout=5)

        assert light_job() == 2  # past the busy batch, on the express slot
    release.set()
    busy.join(5)


def test_a_flood_batch_does_not_wait_for_a_light_job_that_waits_for_this_batcher() -> None:
    """A light tenant's job that submits its item here while a flood's batch goes in chunks:
    the chunks stop waiting for it (it waits for them), so its item is answered after the
    flood's chunks, not after `yield_max_s` per chunk."""
    gate = PriorityGate()
    first_batch, release = threading.Event(), threading.Event()
    chunks: list[list[int]] = []

    def process(items: Sequence[int]) -> list[int]:
        chunks.append(list(items))
        if len(chunks) == 1:  # the flood's first item: the rest pile up behind it
            first_batch.set()
            release.wait(10)
        return [item * 2 for item in items]

    batcher: MicroBatcher[int, int] = MicroBatcher(process, max_batch=8, max_wait_s=0,
                                                   gate=gate, yield_every=1, yield_max_s=5)

    def flood_job(n: int) -> None:
        with gate.running("A"):
            batcher.submit(n, timeout=60)

    flood = [threading.Thread(target=flood_job, args=(n,)) for n in range(5)]
    flood[0].start()
    assert first_batch.wait(5)
    for thread in flood[1:]:
        thread.start()
    wait_until(lambda: batcher._open._total == 5, 5, "the flood's items")
    light_entered, light_go = threading.Event(), threading.Event()
    answered: list[float] = []

    def light_job() -> None:
        with gate.running("B") as light:
            assert light
            light_entered.set()
            light_go.wait(5)
            started = time.monotonic()
            assert batcher.submit(100, timeout=60) == 200
            answered.append(time.monotonic() - started)

    light = threading.Thread(target=light_job)
    light.start()
    assert light_entered.wait(5)
    release.set()  # the flood's next batch starts in chunks and waits for B's job...
    wait_until(lambda: len(chunks) == 1 and gate.contended(), 5, "the flood's batch to wait")
    time.sleep(0.1)
    light_go.set()  # ...which now waits for the batcher
    for thread in [light, *flood]:
        thread.join(30)
    assert answered and answered[0] < 2.5  # not 5 s a chunk
    assert sorted(item for chunk in chunks for item in chunk) == [0, 1, 2, 3, 4, 100]
