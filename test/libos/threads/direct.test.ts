/**
 * Direct resumes at the dispatch level (syscall/dispatch.ts "Direct resumes"), with a real shared
 * memory and a stand-in thread: the waker writes the woken flag and hands the parked call its
 * return value; the slow path takes over for a kill, an interruption and an out-pointer that
 * traps; the same import's completion is reused across calls, timed ones included. The guest
 * programs test/guest/threads/direct.c and cputime.c drive the same paths through real threads.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SyscallContext, rawImport } from "../../../src/libos/syscall/dispatch.ts";
import { GuestMemory, GuestTrap } from "../../../src/libos/syscall/memory.ts";
import { wasixRows } from "../../../src/libos/syscall/wasix/table.ts";
import { futexTable } from "../../../src/libos/sched/futex.ts";
import { ThreadKilled } from "../../../src/libos/process/exit.ts";
import { Logger, LogLevel } from "../../../src/libos/log.ts";
import { Wasm } from "../../../src/libos/wasm.ts";
import type { Thread } from "../../../src/libos/process/thread.ts";

const WORD = 64, TIMEOUT = 128, OUT = 200;

function setup() {
  const mem = new GuestMemory(new Wasm.Memory({ initial: 1, maximum: 1, shared: true }));
  let canceller: (() => void) | undefined;
  const calls = { resumeLater: 0, onCpu: 0 };
  const t = {
    tid: 2, killed: false, interruptPending: false,
    process: { pid: 9, memory: mem, pendingSignals: [] as number[], wasix: true },
    offCpu() {},
    futexWait() {},
    onCpu() {
      calls.onCpu++;
    },
    resumeLater() {
      calls.resumeLater++;
    },
    clearInterrupt() {
      if (!this.killed) this.interruptPending = false;
    },
    takeCancelWake() {
      return false;
    },
    setCanceller(c: (() => void) | undefined) {
      canceller = c;
    },
  };
  const ctx = new SyscallContext(t as unknown as Thread, new Logger(LogLevel.error, () => {}));
  ctx.mem = mem;
  const wait = rawImport(ctx, wasixRows.get("futex_wait")!);
  const ft = futexTable(mem.memory);
  const noTimeout = (): void => mem.dv.setUint8(TIMEOUT, 0);
  const timeoutNs = (ns: bigint): void => {
    mem.dv.setUint8(TIMEOUT, 1);
    mem.dv.setBigUint64(TIMEOUT + 8, ns, true);
  };
  return { mem, t, ctx, wait, ft, calls, noTimeout, timeoutNs, interrupt: () => canceller?.() };
}

test("a wake completes the call at once: woken flag written by the waker, the parked call resumes with 0", async () => {
  const { mem, wait, ft, calls, noTimeout, timeoutNs } = setup();
  mem.dv.setUint32(WORD, 5, true);
  for (let round = 0; round < 3; round++) {
    // Alternate untimed and timed waits through the same import (its completion is reused).
    if (round === 1) timeoutNs(60_000_000_000n);
    else noTimeout();
    mem.dv.setUint8(OUT, 9);
    const r = wait(WORD, 5, TIMEOUT, OUT);
    assert.ok(r instanceof Promise);
    assert.equal(ft.waiting(WORD), 1);
    assert.equal(ft.wake(WORD, 1), 1);
    assert.equal(mem.dv.getUint8(OUT), 1, "encoded by the waker, before the waiter runs");
    assert.equal(calls.resumeLater, round + 1);
    assert.equal(await r, 0);
  }
  assert.equal(calls.onCpu, 0, "no reaction ran in the thread's context");
  timeoutNs(1_000_000n); // 1 ms, nobody wakes it
  const timed = wait(WORD, 5, TIMEOUT, OUT);
  assert.equal(await timed, 0);
  assert.equal(mem.dv.getUint8(OUT), 0, "timed out: woken = false");
  assert.equal(ft.size, 0);
});

test("a word that already differs returns at once without parking", () => {
  const { mem, wait, ft, noTimeout } = setup();
  noTimeout();
  mem.dv.setUint32(WORD, 6, true);
  assert.equal(wait(WORD, 5, TIMEOUT, OUT), 0);
  assert.equal(mem.dv.getUint8(OUT), 1);
  assert.equal(ft.size, 0);
});

test("the slow path: an interruption is a spurious wake, a kill unwinds, a bad out-pointer traps; direct again afterwards", async () => {
  const s = setup();
  const { mem, t, wait, ft, calls, noTimeout } = s;
  noTimeout();
  mem.dv.setUint32(WORD, 5, true);

  // A signal's interruption: completed in the thread's context (onCpu), woken = true, 0.
  let r = wait(WORD, 5, TIMEOUT, OUT);
  t.interruptPending = true;
  s.interrupt();
  assert.equal(await r, 0);
  assert.equal(mem.dv.getUint8(OUT), 1);
  assert.equal(calls.onCpu, 1);
  assert.equal(t.interruptPending, false, "consumed by the call that saw it");

  // An out-pointer past the memory: the waker cannot encode; the thread traps when it resumes.
  r = wait(WORD, 5, TIMEOUT, 0xfffffff0);
  assert.equal(ft.wake(WORD, 1), 1);
  await assert.rejects(r as Promise<number>, GuestTrap);

  // Direct again.
  const before = calls.resumeLater;
  r = wait(WORD, 5, TIMEOUT, OUT);
  ft.wake(WORD, 1);
  assert.equal(await r, 0);
  assert.equal(calls.resumeLater, before + 1);

  // A kill while parked: the call unwinds the guest instead of returning.
  r = wait(WORD, 5, TIMEOUT, OUT);
  t.killed = true;
  t.interruptPending = true;
  s.interrupt();
  await assert.rejects(r as Promise<number>, ThreadKilled);
  // And a killed thread's next call unwinds at its entry.
  assert.throws(() => wait(WORD, 5, TIMEOUT, OUT), ThreadKilled);
  assert.equal(ft.size, 0);
});

test("signals pending at the wake take the slow path (they are delivered in the thread's context)", async () => {
  const { mem, t, wait, ft, calls, noTimeout } = setup();
  noTimeout();
  mem.dv.setUint32(WORD, 5, true);
  const r = wait(WORD, 5, TIMEOUT, OUT);
  t.process.pendingSignals.push(10);
  ft.wake(WORD, 1);
  assert.equal(calls.resumeLater, 0);
  // The stand-in process has no signal state: delivery finds nothing to run and the call
  // completes in the thread's context.
  t.process.pendingSignals.length = 0;
  assert.equal(await r, 0);
  assert.equal(mem.dv.getUint8(OUT), 1);
  assert.equal(calls.onCpu, 1);
});
