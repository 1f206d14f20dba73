/**
 * Threads for POSIX guests (wasix-libc, -pthread): wasi-threads spawn, join/detach, the pthread
 * synchronization objects over the kernel futex (exact results), 1000 threads, futex timeouts,
 * raw atomic waits rewritten by the loader, preemption of a busy thread, the max_num_of_threads cap (EAGAIN) and a trap in one thread
 * killing its process only. Every check runs a real C program from test/guest/threads/.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { makeInstance, run, type Instance } from "../helpers.ts";

const skip = posixSkip();
const dir = "test/guest/threads";
const programs = ["basic", "sync", "many", "busy_io", "cap", "trap", "futex_timeout", "atomic_wait", "exit", "direct", "cputime"];
let inst: Instance;
let capped: Instance;

before(async () => {
  if (skip) return;
  const progs: Record<string, string> = {};
  for (const n of programs) progs[`/bin/${n}`] = await buildGuest(`${dir}/${n}.c`, { mode: "posix", flags: ["-pthread"] });
  progs["/bin/timedwait"] = await buildGuest(`${dir}/timedwait.c`, {
    mode: "posix", flags: ["-pthread"],
  });
  inst = await makeInstance({ programs: progs });
  capped = await makeInstance({ programs: { "/bin/cap": progs["/bin/cap"]! } });
  // max_num_of_threads = 8 (what `occlum build` writes into build/Enclave.xml as TCSMaxNum).
  await writeFile(path.join(capped.dir, "build", "Enclave.xml"), "<EnclaveConfiguration>\n  <TCSNum>4</TCSNum>\n  <TCSMaxNum>8</TCSMaxNum>\n</EnclaveConfiguration>\n");
});

after(async () => {
  await inst?.cleanup();
  await capped?.cleanup();
});

test("pthread create/join/detach with a mutex and a condition variable", { skip }, async () => {
  const r = await run(inst, "/bin/basic");
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, "counter=80000 sum=280 detached=1\n");
  assert.equal(r.code, 0);
});

test("pthread_exit ends one thread; exit() in another thread ends the process and all its threads", { skip }, async () => {
  const r = await run(inst, "/bin/exit");
  assert.equal(r.stdout, "joined 42 self_differs=1\nexiting\n");
  assert.equal(r.code, 3);
});

test("rwlock, barrier, once, TLS and a recursive mutex give exact results", { skip }, async () => {
  const r = await run(inst, "/bin/sync");
  assert.equal(r.stdout, "once=1 a=400 b=400 bad=0 tls_ok=1 main_tls=0 rec=24\n");
  assert.equal(r.code, 0);
});

test("1000 threads in waves of 100", { skip }, async () => {
  const r = await run(inst, "/bin/many");
  assert.equal(r.stdout, "threads=1000 sum=499500\n");
  assert.equal(r.code, 0);
});

test("futex_wait times out, returns at once on a changed word, and is woken by another thread", { skip }, async () => {
  const r = await run(inst, "/bin/futex_timeout");
  assert.equal(r.stdout, "timeout=1 mismatch=0/1 woken=0/1 nobody=0\n");
});

test("direct resumes: timed hand-overs, timeouts, a signal interrupting a parked thread (its handler yields and waits), exit() with threads parked and yielding", { skip }, async () => {
  const r = await run(inst, "/bin/direct");
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, "hands=2000 timeouts=50 bad=0\nhandler=1 err=0 woken=0 bad=0\n");
  assert.equal(r.code, 7);
});

test("per-thread CPU time across direct resumes: a computing thread is charged its computing, a yielding one little; clock() is the process's CPU time", { skip }, async () => {
  const r = await run(inst, "/bin/cputime");
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, "worker_ok=1 idler_ok=1 clock_ok=1\n");
});

test("pthread_cond_timedwait times out with ETIMEDOUT and returns 0 when signalled", { skip }, async () => {
  const r = await run(inst, "/bin/timedwait");
  assert.equal(r.stdout, "first=ETIMEDOUT waited_ge_50=1 second=0 flag=1 early=1\n");
});

test("raw memory.atomic.wait32/notify between threads run on the kernel futex (loader rewrite)", { skip }, async () => {
  const r = await run(inst, "/bin/atomic_wait");
  assert.equal(r.stdout, "rounds=1000 waited=1 not_equal=1 timed_out=2 notify_none=0\n");
  assert.equal(r.code, 0);
});

test("a thread computing without syscalls does not stall another thread's I/O (preemption)", { skip }, async () => {
  const r = await run(inst, "/bin/busy_io");
  assert.equal(r.stdout, "io 0\nio 1\nio 2\nio 3\nio 4\ndone spun=1\n");
  assert.equal(r.code, 0);
});

test("no cap without a thread limit; max_num_of_threads caps live threads: EAGAIN", { skip }, async () => {
  const free = await run(inst, "/bin/cap");
  assert.equal(free.stdout, "created=64 err=Success again=0\n");
  // 8 live threads at most: the main thread and 7 more; after joining, creation works again.
  const r = await run(capped, "/bin/cap");
  assert.equal(r.stdout, "created=7 err=EAGAIN again=0\n");
  assert.equal(r.code, 0);
});

test("a trap in one thread kills its process, not another one running at the same time", { skip }, async () => {
  const [crashed, other] = await Promise.all([run(inst, "/bin/trap"), run(inst, "/bin/basic")]);
  assert.equal(crashed.code, 132); // SIGILL: the other thread, parked in a futex wait, was killed too
  assert.equal(crashed.stdout, "start\n");
  assert.match(crashed.stderr, /killed by SIGILL: unreachable in wasm function crasher/);
  assert.equal(other.stdout, "counter=80000 sum=280 detached=1\n");
  assert.equal(other.code, 0);
});
