/**
 * `occlum run` as a user runs it: the real bin/occlum in a child process, on an instance made by
 * `occlum new` + `occlum build`. Interactive stdin with EOF, a trap reported on stderr with the
 * wasm function (the host process exits normally), strace output at OCCLUM_LOG_LEVEL=trace,
 * env.untrusted taking host values, and a program that stops itself stopping the command (job
 * control passed up to the host's shell) until the host continues it.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { guest } from "./helpers.ts";
import { buildGuest, posixSkip } from "../support/guest.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const OCCLUM = path.join(repo, "bin", "occlum");
let tmp: string;
let inst: string;

interface Child {
  code: Promise<number | null>;
  stdout: () => string;
  stderr: () => string;
  waitFor(re: RegExp): Promise<void>;
  stdin: NodeJS.WritableStream;
}

/** Env of the host shell: no OCCLUM_* from the test runner, nor the template's EXAMPLE. */
function cleanEnv(): Record<string, string> {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("OCCLUM") && k !== "EXAMPLE") clean[k] = v;
  return clean;
}

function watch(p: ChildProcessWithoutNullStreams): Child {
  let out = "";
  let err = "";
  p.on("error", (e) => (err += String(e)));
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  p.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters]) if (w.re.test(out)) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
  });
  p.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return {
    code: new Promise((resolve) => p.on("close", (c) => resolve(c))),
    stdout: () => out,
    stderr: () => err,
    waitFor: (re) => (re.test(out) ? Promise.resolve() : new Promise((resolve) => waiters.push({ re, resolve }))),
    stdin: p.stdin,
  };
}

function occlum(args: string[], env: Record<string, string> = {}, cwd = inst): Child {
  return watch(spawn(process.execPath, [OCCLUM, ...args], { cwd, env: { ...cleanEnv(), ...env }, stdio: ["pipe", "pipe", "pipe"] }));
}

before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "occlum-ts-cli-run-"));
  inst = path.join(tmp, "inst");
  const made = occlum(["new", inst], {}, tmp);
  assert.equal(await made.code, 0, made.stderr());
  for (const name of ["stdin_echo", "tty_echo", "trap", "env_print", "hello", "proc"]) await copyFile(await guest(name), path.join(inst, "image", "bin", name));
  if (!posixSkip()) await copyFile(await buildGuest("test/guest/threads/cpu_steal.c", { mode: "posix" }), path.join(inst, "image", "bin", "cpu_steal"));
  // the template lists EXAMPLE in env.untrusted; add one more, and a default the host overrides
  const cfgPath = path.join(inst, "Occlum.json");
  const cfg = JSON.parse(await readFile(cfgPath, "utf8"));
  cfg.env.default.push("MODE=default");
  cfg.env.untrusted.push("MODE");
  await writeFile(cfgPath, JSON.stringify(cfg, null, 4));
  const built = occlum(["build"]);
  assert.equal(await built.code, 0, built.stderr());
});
after(() => rm(tmp, { recursive: true, force: true }));

test("occlum run: stdin is read interactively, line by line, until EOF", async () => {
  const c = occlum(["run", "/bin/stdin_echo", "T"]);
  await c.waitFor(/T: ready\n/);
  c.stdin.write("one\n");
  await c.waitFor(/T: one\n/); // answered before any more input exists
  c.stdin.write("two\n");
  await c.waitFor(/T: two\n/);
  c.stdin.end();
  assert.equal(await c.code, 0, c.stderr());
  assert.equal(c.stdout(), "T: ready\nT: one\nT: two\nT: eof after 2 lines\n");
});

/**
 * `occlum run` on a pseudo-terminal, as from an interactive shell: util-linux `script` owns the
 * pty. The shell line prints occlum's exit status, so the test judges occlum, not `script`
 * (whose own exit has known races, util-linux issues #2562 and #3409).
 */
function occlumOnTty(args: string[]): Child & { pid: number; kill(): void } {
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  const cmd = [process.execPath, OCCLUM, ...args].map(q).join(" ") + `; echo "[occlum exited $?]"`;
  const p = spawn("script", ["-q", "-e", "-f", "-c", cmd, "/dev/null"], { cwd: inst, env: { ...cleanEnv(), SHELL: "/bin/sh" }, stdio: ["pipe", "pipe", "pipe"] });
  return { ...watch(p), pid: p.pid!, kill: () => p.kill("SIGKILL") };
}

/** What every process under `pid` is doing (state, kernel wait channel, per thread): for a hang's report. */
function processTree(pid: number): string {
  const read = (f: string) => {
    try {
      return readFileSync(f, "utf8").trim();
    } catch {
      return "?";
    }
  };
  const lines: string[] = [];
  const visit = (p: number, depth: number) => {
    const cmdline = read(`/proc/${p}/cmdline`).replaceAll("\0", " ").slice(0, 120);
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {}
    const states = tasks.map((t) => `${t}:${read(`/proc/${p}/task/${t}/stat`).replace(/^.*\) /, "").split(" ")[0]}/${read(`/proc/${p}/task/${t}/wchan`)}`);
    lines.push(`${"  ".repeat(depth)}${p} ${cmdline} [${states.join(" ")}]`);
    for (const t of tasks) for (const c of read(`/proc/${p}/task/${t}/children`).split(/\s+/).filter(Boolean)) visit(Number(c), depth + 1);
  };
  visit(pid, 0);
  return lines.join("\n");
}

test("occlum run on a terminal: stdin and stdout are ttys, lines are read as typed, Ctrl-D is EOF", async () => {
  const c = occlumOnTty(["run", "/bin/tty_echo"]);
  let hung = "";
  const timer = setTimeout(() => {
    hung = processTree(c.pid);
    c.kill();
  }, 60_000);
  // The terminal maps output "\n" to "\r\n" (ONLCR) and echoes what is typed.
  const until = (re: RegExp) =>
    Promise.race([c.waitFor(re), c.code.then((code) => assert.fail(`exited (${code}) before ${re}: ${JSON.stringify(c.stdout())} ${c.stderr()}\n${hung}`))]);
  try {
    await until(/tty stdin=1 stdout=1\r\nprompt> /);
    c.stdin.write("first line\r"); // Enter: the terminal turns CR into the "\n" the guest reads (ICRNL)
    await until(/got\[first line\r\n\]\r\nprompt> /); // answered before the next line is typed
    c.stdin.write("second\r");
    await until(/got\[second\r\n\]/);
    c.stdin.write("\x04"); // Ctrl-D at the start of a line: the terminal's EOF
    await until(/\[occlum exited \d+\]/);
    assert.match(c.stdout(), /eof after 2 lines\r\n\[occlum exited 0\]/);
  } finally {
    clearTimeout(timer);
    c.kill();
  }
});

/** The process under `pid` (itself included) that the host shows stopped (state T), if any. */
function stoppedUnder(pid: number): number | undefined {
  const read = (f: string) => {
    try {
      return readFileSync(f, "utf8");
    } catch {
      return "";
    }
  };
  if (read(`/proc/${pid}/stat`).replace(/^.*\) /, "").startsWith("T")) return pid;
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {}
  for (const t of tasks) {
    for (const c of read(`/proc/${pid}/task/${t}/children`).split(/\s+/).filter(Boolean)) {
      const found = stoppedUnder(Number(c));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

test("occlum run: a program that stops stops the command, and SIGCONT on the host continues both", async () => {
  const p = spawn(process.execPath, [OCCLUM, "run", "/bin/proc", "stop"], { cwd: inst, env: cleanEnv(), stdio: ["pipe", "pipe", "pipe"] });
  const c = watch(p);
  try {
    await c.waitFor(/stopping\n/); // flushed before the command stops itself
    // The host's view, as a shell's waitpid(WUNTRACED) would see it (20 s at most).
    let stopped: number | undefined;
    for (let i = 0; i < 1000 && stopped === undefined; i++) {
      stopped = stoppedUnder(p.pid!);
      if (stopped === undefined) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(stopped !== undefined, `occlum run never stopped: ${JSON.stringify(c.stdout())} ${c.stderr()}`);
    assert.doesNotMatch(c.stdout(), /continued/);
    process.kill(stopped, "SIGCONT");
    assert.equal(await c.code, 0, c.stderr());
    assert.match(c.stdout(), /^stopping\ncontinued\nproc: \d+ checks, 0 failures/);
  } finally {
    p.kill("SIGKILL");
  }
});

test("occlum run: a trap prints the trap and the wasm function, exits 128+signal, the host exits cleanly", async () => {
  const c = occlum(["run", "/bin/trap", "oob"]);
  assert.equal(await c.code, 139);
  assert.match(c.stderr(), /SIGSEGV: memory access out of bounds in wasm function deep_fault/);
  assert.doesNotMatch(c.stderr(), /\n\s+at .+\.ts:\d+/, "no host stack trace");
});

test("occlum run at OCCLUM_LOG_LEVEL=trace: every syscall strace-style on stderr", async () => {
  const c = occlum(["run", "/bin/hello", "x"], { OCCLUM_LOG_LEVEL: "trace" });
  assert.equal(await c.code, 72); // hello exits 200 with an argument: 200 & 0x7F
  assert.match(c.stderr(), /args_get\(\) = \["\/bin\/hello","x"\]/);
  assert.match(c.stderr(), /fd_write\(1, \[\d+(,\d+)*\]\) = \d+/);
  assert.match(c.stderr(), /proc_exit\(200\)/);
  // and nothing at the default level
  const quiet = occlum(["run", "/bin/hello"]);
  assert.equal(await quiet.code, 0);
  assert.equal(quiet.stderr(), "");
});

test("occlum run: env.default, then the env.untrusted variables the host sets", async () => {
  const c = occlum(["run", "/bin/env_print"], { EXAMPLE: "from-host", MODE: "host", SECRET: "not-listed" });
  assert.equal(await c.code, 0, c.stderr());
  const lines = c.stdout().trim().split("\n");
  assert.ok(lines.includes("OCCLUM=yes"), c.stdout());
  assert.ok(lines.includes("EXAMPLE=from-host"), c.stdout());
  assert.ok(lines.includes("MODE=host"), c.stdout());
  assert.ok(!lines.some((l) => l.startsWith("SECRET=")), c.stdout());
  const d = occlum(["run", "/bin/env_print"]);
  assert.equal(await d.code, 0);
  assert.deepEqual(d.stdout().trim().split("\n").sort(), ["MODE=default", "OCCLUM=yes"]);
});

/**
 * CPU clocks count CPU time, as Linux's do, not the wall time a thread held its vCPU: `occlum run`
 * and a busy host process share one core (taskset), so the guest computes on about half of it,
 * and its thread clock, process clock and clock() must say so (sched/cpu-rate.ts). Before, they
 * counted ~100%.
 */
const noTaskset = spawnSync("taskset", ["-c", "0", "true"]).status === 0 ? false : "no taskset (util-linux) here";
test("CPU clocks count CPU time: on a core shared with a busy host process, about half of the wall time", { skip: posixSkip() || noTaskset }, async () => {
  const spinner = spawn("taskset", ["-c", "0", process.execPath, "-e", "for (;;) {}"], { stdio: "ignore" });
  try {
    const c = watch(spawn("taskset", ["-c", "0", process.execPath, OCCLUM, "run", "/bin/cpu_steal", "600"], {
      cwd: inst, env: cleanEnv(), stdio: ["pipe", "pipe", "pipe"],
    }));
    assert.equal(await c.code, 0, c.stderr());
    const m = /^thread=(\d+) process=(\d+) clock=(\d+)\n$/.exec(c.stdout());
    assert.ok(m, c.stdout());
    for (const v of m.slice(1).map(Number)) assert.ok(v >= 5 && v <= 80, `percent of the wall time counted: ${c.stdout()}`);
  } finally {
    spinner.kill("SIGKILL");
  }
});
