/**
 * JSPI stacks (src/libos/jspi-stacks.ts): guest threads run on growable V8 stacks with a 64 KB
 * first segment, so that 1024 parked threads' stack tops sit close together, without lowering how
 * deep a guest may recurse. Checked through test/guest/threads/deep.c: threads (and main) recurse
 * deeper than a fixed 64 KB stack allows, all parked at the bottom at once, with exact checksums;
 * a runaway recursion on a thread still ends its process with SIGSEGV. The flag lists of the
 * kernel and of bin/occlum stay equal.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { PerformanceObserver } from "node:perf_hooks";
import { promisify } from "node:util";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { makeInstance, run, type Instance } from "../helpers.ts";
import { JSPI_STACK_FLAGS, applyJspiStackFlags, flagName, stackFlagsToApply } from "../../../src/libos/jspi-stacks.ts";

const skip = posixSkip();
const exec = promisify(execFile);
/** Deeper than a fixed 64 KB stack holds (the child run below shows it), well within 984 KB. */
const DEPTH = 6000;
const THREADS = 8;
let wasm: string;
let inst: Instance;

before(async () => {
  if (skip) return;
  wasm = await buildGuest("test/guest/threads/deep.c", { mode: "posix", flags: ["-pthread"] });
  inst = await makeInstance({ programs: { "/bin/deep": wasm } });
});

after(async () => {
  await inst?.cleanup();
});

/** deep.c's rec() in 32-bit unsigned arithmetic (wasm32's unsigned long). */
function rec(n: number, a: number, b: number): number {
  const as: number[] = [];
  const bs: number[] = [];
  for (let k = n; k > 0; k--) {
    as.push(a);
    bs.push(b);
    const a2 = (Math.imul(a, 31) + k) >>> 0;
    b = (b ^ (a >>> 3)) >>> 0;
    a = a2;
  }
  let r = (a ^ b) >>> 0;
  for (let i = as.length - 1; i >= 0; i--) r = (Math.imul(r, (as[i]! | 1) >>> 0) + (bs[i]! & 0x7f)) >>> 0;
  return r;
}

function expected(depth: number, threads: number): string {
  let sum = rec(depth, 1000, 7);
  for (let i = 0; i < threads; i++) sum = (sum + rec(depth, i + 1, 7)) >>> 0;
  return `depth=${depth} threads=${threads} sum=${sum}\n`;
}

test("threads recurse deeper than their first stack segment, all parked deep at once, with exact results", { skip }, async () => {
  // Enough switches at the bottom (each allocates a little) that the GC runs, and walks the
  // grown stacks, while all of them are deep.
  let gcs = 0;
  const obs = new PerformanceObserver((list) => (gcs += list.getEntries().length));
  obs.observe({ entryTypes: ["gc"] });
  const r = await run(inst, "/bin/deep", { args: [String(DEPTH), String(THREADS), "20000"] });
  await new Promise((res) => setImmediate(res));
  obs.disconnect();
  assert.equal(r.stderr, "");
  assert.equal(r.stdout, expected(DEPTH, THREADS));
  assert.equal(r.code, 0);
  assert.ok(gcs > 0, "no GC ran while the stacks were deep");
});

test("the same recursion overflows a fixed 64 KB JSPI stack (so the run above needed the growth)", { skip }, async () => {
  const fixture = new URL("./deep-run.fixture.ts", import.meta.url).pathname;
  const flags = ["--no-experimental-wasm-growable-stacks", "--wasm-stack-switching-stack-size=64"];
  const { stdout } = await exec(process.execPath, [...flags, fixture, wasm, String(DEPTH), "1"], { maxBuffer: 1 << 20 });
  const r = JSON.parse(stdout.trim().split("\n").pop()!) as { code: number; stdout: string; stderr: string };
  assert.equal(r.code, 139, r.stdout);
  assert.match(r.stderr, /SIGSEGV: Maximum call stack size exceeded in wasm function rec/);
});

test("a runaway recursion on a thread still ends its process with SIGSEGV at the stack limit", { skip }, async () => {
  const r = await run(inst, "/bin/deep", { args: ["10000000", "1"] });
  assert.equal(r.code, 139);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /SIGSEGV: Maximum call stack size exceeded in wasm function rec/);
});

test("the kernel sets the stack flags unless Node's command line names them; bin/occlum and npm test set the same list", async () => {
  assert.deepEqual(JSPI_STACK_FLAGS, ["--experimental-wasm-growable-stacks", "--wasm-stack-switching-stack-size=64"]);
  assert.deepEqual(stackFlagsToApply([]), [...JSPI_STACK_FLAGS]);
  assert.deepEqual(stackFlagsToApply(["--no-experimental-wasm-growable-stacks"]), ["--wasm-stack-switching-stack-size=64"]);
  assert.deepEqual(stackFlagsToApply(["--wasm_stack_switching_stack_size=984", "--max-semi-space-size=64"]), ["--experimental-wasm-growable-stacks"]);
  assert.deepEqual(stackFlagsToApply([...JSPI_STACK_FLAGS]), []);
  assert.equal(flagName("--no-experimental_wasm-growable-stacks"), "experimental-wasm-growable-stacks");
  // This process loaded the kernel without those flags on its command line: they were set.
  if (!process.execArgv.some((a) => flagName(a) === "experimental-wasm-growable-stacks")) {
    assert.deepEqual(applyJspiStackFlags(), stackFlagsToApply(process.execArgv));
  }
  const launcher = await readFile(new URL("../../../bin/occlum", import.meta.url), "utf8");
  const list = /const JSPI_STACK_FLAGS = (\[[^\]]*\]);/.exec(launcher);
  assert.ok(list, "bin/occlum defines JSPI_STACK_FLAGS");
  assert.deepEqual(JSON.parse(list[1]!), [...JSPI_STACK_FLAGS]);
  const exitFlags = /const EXIT_FLAGS = (\[[^\]]*\]);/.exec(launcher);
  assert.ok(exitFlags, "bin/occlum defines EXIT_FLAGS");
  const shLine = launcher.split("\n")[1]!;
  // after bin/occlum's heap flags, before its exit flags
  const flags = [...JSPI_STACK_FLAGS, ...(JSON.parse(exitFlags[1]!) as string[])].join(" ");
  assert.ok(shLine.includes(`exec "$n" `) && shLine.includes(` ${flags} "$0" "$@"`), shLine);
  // npm test names them too, so its test processes (which inherit the runner's V8 flags) never
  // change them at run time: V8 compiles Node's own wasm (the TypeScript stripper) before the
  // kernel loads, and a flag changed under a running background compile of it crashed V8 twice
  // ("Fatal error ... unreachable code" in Turboshaft's instruction selection).
  const pkg = JSON.parse(await readFile(new URL("../../../package.json", import.meta.url), "utf8")) as { scripts: { test: string } };
  assert.ok(pkg.scripts.test.includes(`node ${JSPI_STACK_FLAGS.join(" ")} --test `), pkg.scripts.test);
});
