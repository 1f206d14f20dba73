/**
 * Processes for POSIX guests (wasix-libc): posix_spawn/waitpid, pipes between processes, fd
 * inheritance and FD_CLOEXEC, dup family, exit statuses and signal deaths as waitpid sees them,
 * killing a looping child, orphans re-parented to init, many sequential and concurrent children.
 * Every check runs real C programs (test/guest/process/*.c) built with the POSIX toolchain.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { makeInstance, run, type Instance } from "../helpers.ts";

const skip = posixSkip();
const heavy = process.env.OCCLUM_TEST_HEAVY === "1";
const programs = ["hello", "child", "spawn_wait", "gen", "xcat", "sum", "pipeline", "many", "lifecycle", "signals", "raise", "abspath", "alarm"];
const examples = ["sh", "cat", "wc", "seq", "cksum", "echo"];
let inst: Instance;

before(async () => {
  if (skip) return;
  const progs: Record<string, string> = {};
  for (const n of programs) progs[`/bin/${n}`] = await buildGuest(`test/guest/process/${n}.c`, { mode: "posix" });
  for (const n of examples) progs[`/bin/${n}`] = await buildGuest(`examples/shell/${n}.c`, { mode: "posix" });
  inst = await makeInstance({ programs: progs });
});

after(async () => {
  await inst?.cleanup();
});

/** What `gen n | sum` must print: gen's LCG bytes, FNV-1a 64 of them. */
export function expectedSum(n: number): string {
  let x = 12345;
  let h = 1469598103934665603n; // the C programs' basis (sum.c, cksum.c)
  const P = 0x100000001b3n;
  const M = (1n << 64n) - 1n;
  // Hash in 32-bit halves would be faster; a few MB of BigInt steps is fine for the default size.
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    h = ((h ^ BigInt((x >>> 16) & 0xff)) * P) & M;
  }
  return `${n} ${h.toString(16).padStart(16, "0")}`;
}

test("a trivial POSIX guest runs: printf, getpid, getppid, exit status", { skip }, async () => {
  const r = await run(inst, "/bin/hello");
  assert.equal(r.stdout, "hello from pid 1 ppid 0\n");
  assert.equal(r.code, 7);
});

test("posix_spawn + waitpid: exit codes, signal deaths, WNOHANG, any child, ECHILD, env, PATH", { skip }, async () => {
  const r = await run(inst, "/bin/spawn_wait");
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n");
  for (const l of [
    "exit3: exited 3", "exit200: exited 200", "trap: signaled 4", "kill15: signaled 15",
    "print: exited 0", "MARK=x1", "env: exited 0", "nohang: 0", "slow: exited 0",
    "wait any: same 5", "echild: -1 ECHILD", "spawnp: exited 9", "missing: ENOENT",
  ]) assert.ok(lines.includes(l), `missing ${JSON.stringify(l)} in:\n${r.stdout}`);
  assert.match(r.stdout, /^hi pid=\d+ ppid=1$/m);
});

test("a 3-stage pipeline streams data with the right checksum; FD_CLOEXEC, pipe2's flags, dup, dup2, F_DUPFD, O_NONBLOCK", { skip }, async () => {
  const n = heavy ? 256 << 20 : 3 << 20;
  const r = await run(inst, "/bin/pipeline", { args: [String(n)] });
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout.split("\n");
  if (!heavy) assert.ok(out.includes(expectedSum(n)), r.stdout);
  else assert.match(r.stdout, new RegExp(`^${n} [0-9a-f]{16}$`, "m"));
  assert.ok(out.includes("stages failed: 0"), r.stdout);
  // the child that read a FD_CLOEXEC pipe saw EOF as soon as we closed our end: it counted 3 bytes
  assert.ok(out.includes("cloexec flag: 1"), r.stdout);
  assert.ok(out.includes(`3 ${fnv("abc")}`), r.stdout);
  assert.ok(out.includes("cloexec child: exited 0"), r.stdout);
  assert.ok(out.includes("dup 1 dup2 20 dupfd 30 dupfd_cloexec 31 cloexec 1"), r.stdout);
  assert.ok(out.includes("via fd 20"), r.stdout);
  assert.ok(out.includes("nonblock read: -1 EAGAIN, cloexec 1"), r.stdout);
  // pipe2's flags on both ends, as Linux prints them (wasix-libc dropped them: sdk/libc/pipe.c)
  assert.ok(out.includes("pipe2: 0000 1100 0011 1111 -1 EINVAL"), r.stdout);
});

function fnv(s: string): string {
  let h = 1469598103934665603n; // the C programs' basis (sum.c, cksum.c)
  for (const c of Buffer.from(s)) h = ((h ^ BigInt(c)) * 0x100000001b3n) & ((1n << 64n) - 1n);
  return h.toString(16).padStart(16, "0");
}

test("sequential spawn+wait keeps every status", { skip }, async () => {
  const n = heavy ? 1000 : 100;
  const r = await run(inst, "/bin/many", { args: ["seq", String(n)] });
  assert.equal(r.stdout, `seq ${n}/${n}\n`);
  assert.equal(r.code, 0);
});

test("64 concurrent children", { skip }, async () => {
  const r = await run(inst, "/bin/many", { args: ["conc", "64"] });
  assert.equal(r.stdout, "conc 64/64\n");
  assert.equal(r.code, 0);
});

test("life cycle: a looping child killed, a trapping sibling, SIGTERM, orphans adopted by init, main exit kills the rest", { skip }, async () => {
  const r = await run(inst, "/bin/lifecycle");
  const out = r.stdout.split("\n");
  for (const l of [
    "trap: signal 4", "loop: signal 9", "fine: exit 0", "term: signal 15", "zombie in procfs: yes", "gone after wait: yes", "orphan parent spawned 1", "mid: exit 0",
    "orphan adopted, running: yes", "orphan reaped by init: yes, signal 9", "ppid of init: 0, pid 1",
  ]) assert.ok(out.includes(l), `missing ${JSON.stringify(l)} in:\n${r.stdout}`);
  // main returned 4 while a looping and a sleeping child ran: they were killed, run returned
  assert.equal(r.code, 4);
});

test("the example shell runs pipelines with <, >, >> redirections and reports statuses", { skip }, async () => {
  const script = [
    "seq 1 1000 | cat | wc > /tmp/x",
    "seq 5 7 >> /tmp/x",
    "cat < /tmp/x",
    'echo "a  b" c|wc',
    "gen 100000 | xcat | cksum",
    "nope",
    "child exit 3",
  ].join("\n");
  const r = await run(inst, "/bin/sh", { stdin: script });
  assert.equal(r.stdout, `1000 1000 3893\n5\n6\n7\n1 3 7\n${expectedSum(100000)}\n`);
  assert.equal(r.stderr, "sh: nope: No such file or directory\n");
  assert.equal(r.code, 3);
  const c = await run(inst, "/bin/sh", { args: ["-c", "child kill 9 | cat"] });
  assert.equal(c.code, 0); // the last stage's status
  const d = await run(inst, "/bin/sh", { args: ["-c", "cat | child kill 9"] });
  assert.equal(d.code, (128 + 9) & 0x7f); // sh exits 137; occlum run reports status & 0x7F, as Occlum
});

test("signals: handlers, EINTR, SIG_IGN (inherited by spawn), SIGCHLD, SIGPIPE, default actions, group kill", { skip }, async () => {
  const r = await run(inst, "/bin/signals");
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, [
    "kill self: 1",
    "reader: -1 EINTR handler 1",
    "ignored term: alive",
    "sigchld: 1",
    "reader status: exit 0",
    "writer default: signal 13",
    "writer: -1 EPIPE",
    "writer ignoring: exit 0",
    "usr2 default: signal 12",
    "int default: signal 2",
    "inherited ignore: alive 1, then signal 9",
    "group kill: 2, own handler 1",
    "",
  ].join("\n"));
  // Linux's default actions: no libc "Program received..." message on the way out
  assert.equal(r.stderr, "");
});

test("raise(): the handler runs before raise returns; SIG_IGN holds; a default-terminate signal kills", { skip }, async () => {
  const ok = await run(inst, "/bin/raise");
  assert.deepEqual([ok.code, ok.stdout], [0, "handler ran: 1\nignored survived\nnot reached with an argument\n"], ok.stderr);
  const killed = await run(inst, "/bin/raise", { args: ["die"] });
  assert.equal(killed.code, 128 + 15, killed.stderr);
  assert.equal(killed.stdout, "handler ran: 1\nignored survived\n");
});

test("absolute paths from wasix-libc (root preopen) reach the whole file system: stat, mkdir, rename, unlink, opendir", { skip }, async () => {
  const r = await run(inst, "/bin/abspath");
  assert.deepEqual([r.code, r.stdout], [0, "ok\n"], r.stderr);
});

test("alarm() and setitimer(ITIMER_REAL) deliver SIGALRM to a handler; a periodic timer stops when disarmed; alarm(0) cancels", { skip }, async () => {
  const r = await run(inst, "/bin/alarm");
  assert.deepEqual([r.code, r.stdout], [0, "alarm: ticks=1 in_range=1\nitimer: at_least_3=1 stopped=1\ncancel: ticks_unchanged=1\n"], r.stderr);
});
