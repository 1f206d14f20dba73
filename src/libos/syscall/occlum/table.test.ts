/**
 * The occlum table's own tests: unique rows with handlers, the wasm signatures sdk/libc declares
 * (and a real POSIX guest imports), Suspending exactly where a call may wait, and the support doc.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { occlumTable, occlumRows, OCCLUM_MODULE } from "./table.ts";
import { supportDoc } from "../support-doc.ts";
import { buildGuest, posixSkip } from "../../../../test/support/guest.ts";
import { readImports } from "../../loader/wasm-info.ts";
import { KERNEL_MODULE } from "../../loader/instrument/instrument.ts";

// params as sdk/libc/signals.c, pgroup.c and wait.c declare them (i = i32, I = i64); result: i32 errno
const spec: Record<string, string> = {
  sigaction: "iiiI", sigprocmask: "iIii", sigpending: "i", sigsuspend: "I", sigtimedwait: "IIi", sigtimedwait_v2: "IIii", siginfo: "ii", sigqueue: "iii", tgsigqueue: "iii", spawn_attrs: "iiI", getpgid: "ii", setpgid: "ii", getsid: "ii", setsid: "i",
  // sdk/libc/sockets.c
  sock_sendmsg: "iiiiiiii", sock_recvmsg: "iiiiiiiiii",
  sock_sendmsg_v2: "iiiiiiiii", sock_recvmsg_v2: "iiiiiiiiiiii", sock_setsockopt: "iiiii", sock_getsockopt: "iiiii",
  // sdk/libc/poll.c and epoll.c
  poll: "iiIi", ppoll: "iiIIi", epoll_pwait: "iiiIIi",
  // sdk/libc/locks.c
  file_lock: "iii", flock: "ii",
  // sdk/libc/syscall.c
  futex: "iiiIiiii",
  // sdk/libc/threads.c
  sched_getaffinity: "iiii", sched_setaffinity: "iii", sched_getcpu: "i", priority: "iiiii", sched_policy: "iiiii",
  // sdk/libc/threads.c and prctl.c
  thread_name_set: "iii", thread_name_get: "iiii", pdeath_signal: "ii",
  // sdk/libc/preopen.c
  root_dirfd: "i",
  // sdk/libc/resource.c
  rusage: "iii", prlimit: "iiii",
  // sdk/libc/timers.c
  timer_create: "iiiiii", timer_settime: "iiIIi", timer_gettime: "ii", timer_getoverrun: "ii", timer_delete: "i", timer_wait: "ii",
  // sdk/libc/itimer.c
  setitimer: "iIIi", getitimer: "ii",
  // sdk/libc/timerfd.c
  timerfd_create: "iiii", timerfd_settime: "iiIIi", timerfd_gettime: "ii",
  // sdk/libc/signalfd.c
  signalfd: "iIiii",
  // sdk/libc/wait.c
  waitpid: "iiii", waitid: "iiii",
  // sdk/libc/sysinfo.c
  sysinfo: "i",
  // sdk/libc/mqueue.c
  mq_open: "iiiii", mq_unlink: "i", mq_timedsend: "iiiii", mq_timedreceive: "iiiiii", mq_getsetattr: "iii", mq_notify: "iiiii", mq_notify_wait: "i",
};
const blocking = new Set(["sched_policy", "mq_timedsend", "mq_timedreceive", "mq_notify_wait", "tgsigqueue", "timer_wait", "futex", "waitpid", "waitid", "sigqueue", "file_lock", "flock", "sigprocmask", "sigsuspend", "sigtimedwait", "sigtimedwait_v2", "sock_sendmsg", "sock_recvmsg", "sock_sendmsg_v2", "sock_recvmsg_v2", "sock_setsockopt", "sock_getsockopt", "poll", "ppoll", "epoll_pwait"]);

test("one row per call, each with a handler, signatures as the libc side declares them", () => {
  assert.equal(OCCLUM_MODULE, KERNEL_MODULE); // one module with the loader's instrumentation imports
  assert.deepEqual(occlumTable.map((r) => r.name).sort(), Object.keys(spec).sort());
  for (const r of occlumTable) {
    assert.equal(typeof r.impl, "function", r.name);
    assert.equal(r.params.map((t) => (t === "i64" ? "I" : "i")).join(""), spec[r.name], r.name);
    assert.equal(r.blocking, blocking.has(r.name), r.name);
  }
});

test("the support doc lists every occlum call", () => {
  const doc = supportDoc();
  for (const r of occlumTable) assert.match(doc, new RegExp(`\\| \`${r.name}\` \\|`));
});

test("a POSIX guest imports these calls with these signatures", { skip: posixSkip() }, async () => {
  const wasm = await readFile(await buildGuest("test/guest/process/sigmask.c", { mode: "posix" }));
  const imported = readImports(wasm).filter((i) => i.module === OCCLUM_MODULE && i.kind === "function");
  assert.ok(imported.length >= 4, "the sdk/libc overrides are linked");
  for (const i of imported) {
    if (i.kind !== "function") continue;
    const row = occlumRows.get(i.name);
    assert.ok(row, `no row for occlum.${i.name}`);
    assert.deepEqual([...i.type.params], [...row.params], i.name);
    assert.deepEqual([...i.type.results], ["i32"], i.name);
  }
});
