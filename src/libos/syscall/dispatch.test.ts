/**
 * Dispatch on its own, with a real wasm memory and a fake thread: errno mapping in one place,
 * traps for bad pointers, results written through out-pointers, strace lines, async handlers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { SyscallContext, importFunction, rawImport } from "./dispatch.ts";
import { GuestMemory, GuestTrap } from "./memory.ts";
import { wasiRows } from "./table.ts";
import { Errno, SysError } from "./errno.ts";
import { Logger, LogLevel } from "../log.ts";
import { Wasm } from "../wasm.ts";
import { FdTable } from "../process/fd-table.ts";
import { FileBase } from "../fs/file-base.ts";
import { FileType, type Stat } from "../fs/types.ts";
import { ProcessExit } from "../process/exit.ts";
import type { Thread } from "../process/thread.ts";

class Odd extends FileBase {
  constructor() {
    super(FileType.REGULAR_FILE, { readable: true, writable: true });
  }
  override stat(): Stat {
    throw new Error("kernel bug on purpose");
  }
  override sync(): void {
    throw Object.assign(new Error("host said no"), { code: "EACCES" });
  }
  override read(iovs: Uint8Array[]): Promise<number> {
    iovs[0]!.set([1, 2, 3]);
    return Promise.resolve(3);
  }
}

function setup() {
  const fds = new FdTable();
  fds.insert(new Odd(), 0x3fffffff, 0x3fffffff);
  const exits: unknown[] = [];
  const t = {
    tid: 1, killed: false, interruptPending: false,
    process: { pid: 7, fds, argv: ["/bin/x", "é"], env: ["A=1"], exit: (s: unknown) => exits.push(s) },
    offCpu() {}, onCpu() {}, futexWait() {}, clearInterrupt() {}, takeCancelWake: () => false, setCanceller() {},
  } as unknown as Thread;
  let log = "";
  const ctx = new SyscallContext(t, new Logger(LogLevel.trace, (l) => (log += l)));
  ctx.mem = new GuestMemory(new Wasm.Memory({ initial: 1 }));
  const call = (name: string, trace = false) => rawImport(ctx, wasiRows.get(name)!, trace);
  return { ctx, call, log: () => log, exits };
}

test("results go through out-pointers; errors are errno values", () => {
  const { ctx, call } = setup();
  assert.equal(call("args_sizes_get")(100, 104), 0);
  assert.equal(ctx.mem.dv.getUint32(100, true), 2);
  assert.equal(ctx.mem.dv.getUint32(104, true), 6 + 1 + 2 + 1); // UTF-8 bytes with NULs
  assert.equal(call("fd_fdstat_get")(9, 200), Errno.BADF);
  assert.equal(call("clock_time_get")(99, 0n, 208), Errno.INVAL);
  assert.equal(call("fd_fdstat_set_flags")(0, 0x100), Errno.INVAL); // bad flag bits: the codec says EINVAL
});

test("a host error maps by its code; any other error is a kernel bug: logged, EIO", () => {
  const { call, log } = setup();
  assert.equal(call("fd_sync")(0), Errno.ACCES);
  assert.equal(call("fd_filestat_get")(0, 256), Errno.IO);
  assert.match(log(), /\[E\] fd_filestat_get: unexpected kernel error: Error: kernel bug on purpose/);
});

test("out-of-bounds and misaligned pointers trap instead of returning an errno", () => {
  const { call } = setup();
  assert.throws(() => call("args_sizes_get")(65536, 0), GuestTrap);
  assert.throws(() => call("args_sizes_get")(101, 104), /misaligned/);
  assert.throws(() => call("random_get")(65000, 1000), GuestTrap);
  assert.throws(() => call("fd_write")(0, 65532, 2, 0), GuestTrap); // iovec array past the end
});

test("proc_exit unwinds with ProcessExit after recording the status", () => {
  const { call, exits } = setup();
  assert.throws(() => call("proc_exit")(3), ProcessExit);
  assert.deepEqual(exits, [{ kind: "exit", code: 3 }]);
});

test("an asynchronous handler: the import returns a Promise of the errno, result encoded after", async () => {
  const { ctx, call } = setup();
  ctx.mem.dv.setUint32(300, 400, true); // iovec: buf 400, len 8
  ctx.mem.dv.setUint32(304, 8, true);
  const r = call("fd_read")(0, 300, 1, 320);
  assert.ok(r instanceof Promise);
  assert.equal(await r, 0);
  assert.equal(ctx.mem.dv.getUint32(320, true), 3);
  assert.deepEqual([...ctx.mem.u8.subarray(400, 403)], [1, 2, 3]);
});

test("strace: decoded arguments and the result or errno name", () => {
  const { call, log } = setup();
  call("fd_fdstat_get", true)(42, 200);
  call("args_sizes_get", true)(100, 104);
  assert.match(log(), /\[pid 7:1\] fd_fdstat_get\(42\) = -1 EBADF\n/);
  assert.match(log(), /\[pid 7:1\] args_sizes_get\(\) = 2, 10\n/);
});

test("SysError carries its errno", () => {
  assert.equal(new SysError(Errno.NOENT, "x").errno, Errno.NOENT);
});

test("clock_time_get's fast import (used when not tracing) agrees with its row", () => {
  const { ctx, call } = setup();
  const fast = importFunction(ctx, wasiRows.get("clock_time_get")!, false) as (...p: (number | bigint)[]) => number;
  assert.notEqual(fast, undefined);
  for (const id of [0, 1]) {
    assert.equal(call("clock_time_get")(id, 1n, 256), 0);
    const viaRow = ctx.mem.dv.getBigUint64(256, true);
    assert.equal(fast(id, 1n, 264), 0);
    const viaFast = ctx.mem.dv.getBigUint64(264, true);
    assert.ok(viaFast >= viaRow && viaFast - viaRow < 1_000_000_000n, `clock ${id}: ${viaRow} then ${viaFast}`);
  }
  assert.equal(fast(4, 1n, 256), Errno.INVAL);
  assert.throws(() => fast(1, 1n, 65536 - 4), GuestTrap); // out of bounds: a trap, as through the row
  assert.throws(() => call("clock_time_get")(1, 1n, 65536 - 4), GuestTrap);
  assert.throws(() => fast(1, 1n, 260), GuestTrap); // misaligned u64
});
