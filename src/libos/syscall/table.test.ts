/**
 * The syscall table's own tests: every preview-1 function has exactly one row with a handler,
 * wasm signatures match what a real guest imports, Suspending exactly where blocking, and the
 * derived artefacts (import object, support doc) cover every row.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { wasiTable, wasiRows } from "./table.ts";
import { wasiImports, SyscallContext } from "./dispatch.ts";
import { supportDoc } from "./support-doc.ts";
import { Logger, LogLevel } from "../log.ts";
import { Wasm } from "../wasm.ts";
import type { Thread } from "../process/thread.ts";

// wasi_snapshot_preview1.witx, with each function's core wasm signature (params; result is i32
// errno except proc_exit).
const spec: Record<string, string> = {
  args_get: "ii", args_sizes_get: "ii", environ_get: "ii", environ_sizes_get: "ii",
  clock_res_get: "ii", clock_time_get: "iIi", fd_advise: "iIIi", fd_allocate: "iII", fd_close: "i",
  fd_datasync: "i", fd_fdstat_get: "ii", fd_fdstat_set_flags: "ii", fd_fdstat_set_rights: "iII",
  fd_filestat_get: "ii", fd_filestat_set_size: "iI", fd_filestat_set_times: "iIIi", fd_pread: "iiiIi",
  fd_prestat_get: "ii", fd_prestat_dir_name: "iii", fd_pwrite: "iiiIi", fd_read: "iiii", fd_readdir: "iiiIi",
  fd_renumber: "ii", fd_seek: "iIii", fd_sync: "i", fd_tell: "ii", fd_write: "iiii",
  path_create_directory: "iii", path_filestat_get: "iiiii", path_filestat_set_times: "iiiiIIi",
  path_link: "iiiiiii", path_open: "iiiiiIIii", path_readlink: "iiiiii", path_remove_directory: "iii",
  path_rename: "iiiiii", path_symlink: "iiiii", path_unlink_file: "iii", poll_oneoff: "iiii",
  proc_exit: "i", proc_raise: "i", sched_yield: "", random_get: "ii", sock_accept: "iii",
  sock_recv: "iiiiii", sock_send: "iiiii", sock_shutdown: "ii",
};

// Calls that may wait (I/O, poll, yield, a stop by proc_raise) or reach asynchronous host I/O must be Suspending.
const mustBlock = [
  "fd_read", "fd_write", "fd_pread", "fd_pwrite", "fd_close", "fd_sync", "fd_datasync", "fd_readdir",
  "fd_filestat_get", "fd_filestat_set_size", "fd_filestat_set_times", "fd_seek", "fd_tell", "fd_allocate",
  "poll_oneoff", "sched_yield", "proc_raise", "sock_accept", "sock_recv", "sock_send", "sock_shutdown", "fd_advise", "fd_renumber", "path_open", "path_filestat_get",
  "path_create_directory", "path_remove_directory", "path_unlink_file", "path_rename", "path_link",
  "path_symlink", "path_readlink", "path_filestat_set_times",
];
const mustNotBlock = [
  "args_get", "args_sizes_get", "environ_get", "environ_sizes_get", "clock_res_get", "clock_time_get",
  "random_get", "proc_exit", "fd_fdstat_get", "fd_fdstat_set_flags", "fd_fdstat_set_rights",
  "fd_prestat_get", "fd_prestat_dir_name",
];

test("one row per preview-1 function, unique names, each with a handler", () => {
  const names = wasiTable.map((r) => r.name);
  assert.equal(new Set(names).size, names.length, "duplicate rows");
  assert.deepEqual([...names].sort(), Object.keys(spec).sort());
  for (const r of wasiTable) {
    assert.equal(typeof r.impl, "function", r.name);
    assert.equal(r.impl.name, r.name, `${r.name}: handler is named after the call`);
  }
});

test("argument and result codecs add up to the witx core signature", () => {
  for (const r of wasiTable) {
    const sig = r.params.map((t) => (t === "i64" ? "I" : "i")).join("");
    assert.equal(sig, spec[r.name], r.name);
  }
});

test("blocking exactly where a call may wait", () => {
  for (const n of mustBlock) assert.equal(wasiRows.get(n)?.blocking, true, n);
  for (const n of mustNotBlock) assert.equal(wasiRows.get(n)?.blocking, false, n);
  assert.deepEqual([...mustBlock, ...mustNotBlock].sort(), wasiTable.map((r) => r.name).sort(), "every row classified once");
});

test("the import object: Suspending exactly for blocking rows, plain functions otherwise", () => {
  const fakeThread = { process: { pid: 1 }, tid: 1 } as unknown as Thread;
  const imports = wasiImports(new SyscallContext(fakeThread, new Logger(LogLevel.off)));
  assert.deepEqual(Object.keys(imports).sort(), Object.keys(spec).sort());
  for (const r of wasiTable) {
    const v = imports[r.name];
    if (r.blocking) assert.ok(v instanceof (Wasm.Suspending as unknown as Function), r.name);
    else assert.equal(typeof v, "function", r.name);
  }
});

test("the support doc lists every row", () => {
  const doc = supportDoc();
  for (const r of wasiTable) assert.match(doc, new RegExp(`\\| \`${r.name}\` \\|`));
});
