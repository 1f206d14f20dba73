import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { wasixTable, wasixRows } from "./table.ts";
import { LIBC_WASIX_IMPORTS } from "./enosys.ts";
import { rawImport, SyscallContext } from "../dispatch.ts";
import { Errno } from "../errno.ts";
import type { Thread } from "../../process/thread.ts";
import { Logger, LogLevel } from "../../log.ts";

test("every wasix_32v1 call of the libc's import list has exactly one row", () => {
  const names = wasixTable.map((r) => r.name);
  assert.equal(new Set(names).size, names.length, "duplicate rows");
  for (const n of LIBC_WASIX_IMPORTS) assert.ok(wasixRows.has(n), n);
});

test("the list matches the installed wasix-libc's libc.imports (when the sysroot is here)", { skip: !existsSync(".cache/wasix-libc/root/usr/lib/wasm32-wasi/libc.imports") }, () => {
  const listed = readFileSync(".cache/wasix-libc/root/usr/lib/wasm32-wasi/libc.imports", "utf8")
    .split("\n").filter((l) => l.startsWith("__imported_wasix_32v1_")).map((l) => l.slice("__imported_wasix_32v1_".length).trim());
  assert.deepEqual([...LIBC_WASIX_IMPORTS].sort(), listed.sort());
});

test("the process rows are implemented; an unimplemented call is an ENOSYS row", () => {
  for (const n of ["proc_spawn2", "proc_join", "proc_id", "proc_parent", "proc_exit2", "proc_signal", "fd_pipe", "fd_dup", "fd_dup2", "fd_fdflags_get", "fd_fdflags_set", "callback_signal"]) {
    assert.notEqual(wasixRows.get(n)!.support, "none", n);
  }
  const row = wasixRows.get("proc_fork")!;
  assert.equal(row.support, "none");
  const t = { tid: 1, killed: false, process: { pid: 1, pendingSignals: [] } } as unknown as Thread;
  const ctx = new SyscallContext(t, new Logger(LogLevel.error, () => {}));
  ctx.mem = { refresh() {} } as never;
  assert.equal(rawImport(ctx, row)(0), Errno.NOSYS);
});
