/**
 * Preemption of real guests computing without syscalls, run by the kernel with the loader's
 * default instrumentation and the kernel's fuel (kernel-imports.ts FUEL, in calls): one through
 * recursion alone (test/guest/wasi/spin_fib.c: a fuel-passing clone charging 1 of the fuel per
 * call, 1/callsPerUnit of a loop unit), one sorting with libc's qsort (spin_qsort.c: comparator
 * calls through the table, uncharged). The kernel's yield_check must still come often enough that
 * a timer fires, another guest runs to completion, and a kill ends it.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { readFileSync } from "node:fs";
import { Collect, guest, makeInstance, run, type Instance } from "../../../../test/libos/helpers.ts";
import { instrument } from "./instrument.ts";

let inst: Instance;
let spinFib: string;

before(async () => {
  spinFib = await guest("spin_fib");
  inst = await makeInstance({
    programs: { "/bin/spin_fib": spinFib, "/bin/spin_qsort": await guest("spin_qsort"), "/bin/hello": await guest("hello") },
  });
});

/** Run `prog` until it prints `ready`, check a timer and another guest run meanwhile, kill it. */
async function preempted(prog: string, ready: string): Promise<void> {
  const out = new Collect();
  const ac = new AbortController();
  const spinner = run(inst, prog, { stdout: out, signal: ac.signal });
  await out.waitFor(new RegExp(ready));
  // While it computes: a timer fires and another guest runs to completion (without preemption
  // neither happens and the test times out).
  await new Promise((r) => setTimeout(r, 30));
  const other = await run(inst, "/bin/hello");
  assert.equal(other.code, 0);
  assert.equal(out.text, `${ready}\n`);
  ac.abort();
  const r = await spinner;
  assert.equal(r.code, 137);
}
after(async () => {
  await inst?.cleanup();
});

test("a guest recursing for ever is preempted (a timer and another guest run) and can be killed", { timeout: 30_000 }, async () => {
  // The shape under test: fib is cloned, and its only loop (clang's) is covered by the call.
  const stats = instrument(new Uint8Array(readFileSync(spinFib)), { rewriteAtomics: true, preemption: true }).stats;
  assert.ok((stats.fuelPassing ?? 0) >= 1, JSON.stringify(stats));
  await preempted("/bin/spin_fib", "spinning");
});

test("a guest sorting for ever with libc's qsort (comparator through the table) is preempted and can be killed", { timeout: 30_000 }, async () => {
  await preempted("/bin/spin_qsort", "sorting");
});
