/**
 * Processes share one event loop but never stall or crash each other: two guests blocked on stdin
 * interleave, a trapping guest dies alone (SIGSEGV/SIGILL/SIGFPE with the wasm function named),
 * a kill cancels a blocking read, and hostfs cannot be escaped from a guest.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, rm, symlink, writeFile, readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Collect, guest, makeInstance, run, PassThrough, type Instance } from "./helpers.ts";

let inst: Instance;
let hostDir: string;

before(async () => {
  hostDir = await mkdtemp(path.join(os.tmpdir(), "occlum-ts-hostfs-"));
  const shared = path.join(hostDir, "shared");
  await mkdir(shared);
  await writeFile(path.join(shared, "note.txt"), "host note\n");
  // symlinks planted on the host side, pointing out of the mount
  await symlink("/etc", path.join(shared, "etc-abs"));
  await symlink("../../../../../../../..", path.join(shared, "up"));
  inst = await makeInstance({
    programs: {
      "/bin/stdin_echo": await guest("stdin_echo"),
      "/bin/trap": await guest("trap"),
      "/bin/cat_paths": await guest("cat_paths"),
      "/bin/hello": await guest("hello"),
      "/bin/yield_loop": await guest("yield_loop"),
      "/bin/spin": await guest("spin"),
    },
    files: { "/etc/passwd": "guest-passwd\n" },
    mounts: [{ source: path.relative("/", shared).replace(/^/, "/"), target: "/host", type: "hostfs" }],
  });
});
after(async () => {
  await inst?.cleanup();
  await rm(hostDir, { recursive: true, force: true });
});

test("two guests blocked on stdin: one finishing never waits for the other", async () => {
  const inA = new PassThrough();
  const inB = new PassThrough();
  const outA = new Collect();
  const outB = new Collect();
  let aDone = false;
  const a = run(inst, "/bin/stdin_echo", { args: ["A"], stdin: inA, stdout: outA }).then((r) => ((aDone = true), r));
  const b = run(inst, "/bin/stdin_echo", { args: ["B"], stdin: inB, stdout: outB });
  await outA.waitFor(/A: ready/);
  await outB.waitFor(/B: ready/);
  inB.write("one\n");
  await outB.waitFor(/B: one\n/);
  inA.write("first\n");
  await outA.waitFor(/A: first\n/);
  inB.write("two\n");
  inB.end();
  const rb = await b;
  assert.equal(rb.code, 0);
  assert.equal(rb.stdout, "B: ready\nB: one\nB: two\nB: eof after 2 lines\n");
  assert.equal(aDone, false, "A is still parked in fd_read");
  inA.end("second\n");
  const ra = await a;
  assert.equal(ra.stdout, "A: ready\nA: first\nA: second\nA: eof after 2 lines\n");
});

test("traps kill only the faulting guest, with the signal's status and the wasm function", async () => {
  const inA = new PassThrough();
  const outA = new Collect();
  const survivor = run(inst, "/bin/stdin_echo", { args: ["S"], stdin: inA, stdout: outA });
  await outA.waitFor(/S: ready/);
  const cases: [string, number, RegExp][] = [
    ["oob", 139, /SIGSEGV: memory access out of bounds in wasm function deep_fault/],
    ["unreachable", 132, /SIGILL: unreachable/],
    ["div", 136, /SIGFPE: divide by zero/],
    ["badptr", 139, /SIGSEGV: memory access out of bounds: pointer 0xfffffff0 \+ 8 in wasm function/],
    // the C stack runs off the bottom of linear memory: a memory fault, as on Linux
    ["stack", 139, /SIGSEGV: .* in wasm function recurse/],
  ];
  for (const [mode, code, msg] of cases) {
    const r = await run(inst, "/bin/trap", { args: [mode] });
    assert.equal(r.code, code, `${mode}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`about to fault: ${mode}`));
    assert.match(r.stderr, msg, mode);
  }
  inA.end("still here\n");
  const rs = await survivor;
  assert.equal(rs.code, 0);
  assert.equal(rs.stdout, "S: ready\nS: still here\nS: eof after 1 lines\n");
});

test("a kill (abort) cancels a blocking read: exit 128 + SIGKILL", async () => {
  const stdin = new PassThrough();
  const out = new Collect();
  const ac = new AbortController();
  const pending = run(inst, "/bin/stdin_echo", { stdin, stdout: out, signal: ac.signal });
  await out.waitFor(/ready/);
  ac.abort();
  const r = await pending;
  assert.equal(r.code, 137);
  assert.doesNotMatch(r.stdout, /eof/);
  // a host SIGINT forwarded as the abort reason
  const out2 = new Collect();
  const ac2 = new AbortController();
  const p2 = run(inst, "/bin/stdin_echo", { stdin: new PassThrough(), stdout: out2, signal: ac2.signal });
  await out2.waitFor(/ready/);
  ac2.abort(2);
  assert.equal((await p2).code, 130);
});

test("a kill that arrives before the program starts (a SIGTERM during boot): it never runs, exit 128 + SIGTERM", async () => {
  const ac = new AbortController();
  ac.abort(15);
  const stdin = new PassThrough();
  const r = await run(inst, "/bin/stdin_echo", { stdin, signal: ac.signal });
  assert.equal(r.code, 143);
  assert.doesNotMatch(r.stdout, /ready/);
});

test("hostfs: `..`, absolute and host-planted symlinks never reach the host's files", async () => {
  const r = await run(inst, "/bin/cat_paths", {
    args: [
      "/host/note.txt",
      "/host/../etc/passwd",
      "/host/../../../../etc/passwd",
      "/host/etc-abs/passwd",
      "/host/up/etc/passwd",
      "/../../etc/passwd",
    ],
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\/host\/note.txt: \[host note\]/);
  assert.doesNotMatch(r.stdout, /root:/, "the host's /etc/passwd leaked");
  // inside the LibOS, `..` from /host and absolute links land in the guest's own root
  assert.match(r.stdout, /\/host\/\.\.\/etc\/passwd: \[guest-passwd\]/);
  assert.match(r.stdout, /\/\.\.\/\.\.\/etc\/passwd: \[guest-passwd\]/);
  // nothing was created outside the shared directory
  assert.deepEqual((await readdir(hostDir)).sort(), ["shared"]);
});

test("sched_yield is a real switch through the run queue: two guests alternate", async () => {
  const out = new Collect();
  // One host stream feeds both stdins, so one host event wakes both guests: from then on only the
  // run queue decides who runs. (Wakes from separate host callbacks are separate events: the first
  // woken guest may run until it parks or its slice ends before the second one's event arrives.)
  const go = new PassThrough();
  const both = Promise.all([
    run(inst, "/bin/yield_loop", { args: ["a", "4"], stdout: out, stdin: go }),
    run(inst, "/bin/yield_loop", { args: ["b", "4"], stdout: out, stdin: go }),
  ]);
  // both are parked in fd_read once both consoles listen to the stream (the first read attaches
  // the listener, then parks at once)
  while (go.listenerCount("data") < 2) await new Promise((r) => setTimeout(r, 5));
  go.end("go\n");
  const [a, b] = await both;
  assert.equal(a.code, 0);
  assert.equal(b.code, 0);
  // strict alternation (whichever read stdin first starts)
  const lines = out.text.replace(/[ab]-ready\n/g, "").trim().split("\n");
  const [x, y] = lines[0] === "a0" ? ["a", "b"] : ["b", "a"];
  assert.deepEqual(lines, [0, 1, 2, 3].flatMap((i) => [`${x}${i}`, `${y}${i}`]), out.text);
});

test("procfs shows the running process (ProcessInfoSource of the process table)", async () => {
  const r = await run(inst, "/bin/cat_paths", { args: ["/proc/self/cmdline", "/proc/1/status", "/proc/self/fd/3"] });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\/proc\/self\/cmdline: \[\/bin\/cat_paths\]/); // argv[0], up to its NUL
  assert.match(r.stdout, /\/proc\/1\/status: \[Name:\s+cat_paths\]/);
});

test("a guest computing forever is preempted (others and timers run) and can be killed", { timeout: 30_000 }, async () => {
  const spinOut = new Collect();
  const ac = new AbortController();
  const spinner = run(inst, "/bin/spin", { stdout: spinOut, signal: ac.signal });
  await spinOut.waitFor(/spinning/);
  // while it spins: a timer fires, and another guest runs to completion
  await new Promise((r) => setTimeout(r, 30));
  const other = await run(inst, "/bin/hello");
  assert.equal(other.code, 0);
  ac.abort();
  const r = await spinner;
  assert.equal(r.code, 137);
});
