/**
 * Executor.resumeFromHost: a wake-up made by a host callback resumes at once without starting a
 * streak (no setImmediate posted), unless a streak runs or resumes are queued, where it is an
 * ordinary resume. Counted by wrapping the global setImmediate the executor calls.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { executor } from "./executor.ts";

/** Run `fn` in a fresh macrotask, after any streak of earlier code has ended. */
async function inMacrotask<T>(fn: () => T): Promise<T> {
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  return new Promise<T>((resolve) => setTimeout(() => resolve(fn()), 0));
}

function countImmediates<T>(fn: () => T): { value: T; posted: number } {
  const real = globalThis.setImmediate;
  let posted = 0;
  globalThis.setImmediate = ((cb: (...a: unknown[]) => void, ...a: unknown[]) => {
    posted++;
    return real(cb, ...a);
  }) as typeof setImmediate;
  try {
    return { value: fn(), posted };
  } finally {
    globalThis.setImmediate = real;
  }
}

test("resumeFromHost outside a streak: resumed at once, no streak, no setImmediate", async () => {
  const r = await inMacrotask(() => countImmediates(() => {
    const got: number[] = [];
    const before = executor.switches;
    executor.resumeFromHost((v: number) => got.push(v), 7);
    return { got: [...got], switched: executor.switches - before };
  }));
  assert.deepEqual(r.value.got, [7], "resolved synchronously with the value");
  assert.equal(r.value.switched, 1, "counted as a switch");
  assert.equal(r.posted, 0, "no setImmediate: no streak was started");
});

test("an ordinary resume starts a streak (one setImmediate); resumeFromHost inside it posts no more", async () => {
  const r = await inMacrotask(() => countImmediates(() => {
    const got: string[] = [];
    executor.resume((v: string) => got.push(v), "a");
    executor.resumeFromHost((v: string) => got.push(v), "b");
    return got.join("");
  }));
  assert.equal(r.value, "ab", "both direct, in order");
  assert.equal(r.posted, 1, "the streak's one setImmediate");
});
