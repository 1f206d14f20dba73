/**
 * The dentry cache is kernel heap (fs/vfs/dentry.ts, charged as "dentry" through vm-charge.ts),
 * through a real guest: every name it creates and looks up is a cached dentry charged to the
 * budget; with a kernel heap too small for all of them the cache shrinks (the program never
 * sees an error) and the charge never passes the limit.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildGuest } from "../../support/guest.ts";
import { run, type Instance } from "../helpers.ts";
import type { Vm } from "../../../src/libos/vm/index.ts";
import { dentryCost } from "../../../src/libos/fs/vfs/dentry.ts";
import { makeBuiltInstance } from "./helpers.ts";

const MB = 1 << 20;
const insts: Instance[] = [];
let programs: Record<string, string> = {};

before(async () => {
  programs = { "/bin/dentries": await buildGuest("test/guest/vm/dentries.c") };
});
after(async () => {
  for (const i of insts) await i.cleanup();
});

async function built(heap: string) {
  const limits = { user_space_size: "32MB", user_space_max_size: "32MB", kernel_space_heap_size: heap, kernel_space_heap_max_size: heap };
  const b = await makeBuiltInstance(limits, { default_heap_size: "8MB", default_stack_size: "1MB" }, "hw", { programs, mounts: [{ target: "/tmp", type: "ramfs" }] });
  insts.push(b.inst);
  return b;
}

/** What the n names "/tmp/dK/fI" cost as cached dentries (without the dK). */
const namesCost = (n: number): number => Array.from({ length: n }, (_, i) => dentryCost(`f${i}`)).reduce((a, b) => a + b, 0);

test("every cached dentry is charged to the kernel heap", async () => {
  const { inst } = await built("4MB");
  let vm: Vm | undefined;
  const n = 500;
  const r = await run(inst, "/bin/dentries", { args: ["/tmp", String(n)], onVm: (v) => (vm = v), signal: AbortSignal.timeout(60_000) });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, new RegExp(`^created ${n} stat ${n}$`, "m"));
  const s = vm!.kernelHeap.stats();
  const charged = s.byOwner["dentry"] ?? 0;
  // The n files plus the few dentries of the boot (/tmp, /bin, /bin/dentries, mountpoints...).
  assert.ok(charged >= namesCost(n) && charged < namesCost(n) + 32 * dentryCost("mountpoint"), `dentry charge ${charged}, names ${namesCost(n)}`);
  assert.equal(s.shrinkCalls, 0);
});

test("a kernel heap too small for the dentries: the cache shrinks, the program sees no error", async () => {
  const { inst } = await built("1MB");
  let vm: Vm | undefined;
  const n = 8000; // ~1.6 MB of dentries
  assert.ok(namesCost(n) > 1.5 * MB);
  const r = await run(inst, "/bin/dentries", { args: ["/tmp", String(n)], onVm: (v) => (vm = v), signal: AbortSignal.timeout(120_000) });
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, new RegExp(`^created ${n} stat ${n}$`, "m"));
  const s = vm!.kernelHeap.stats();
  assert.ok(s.peak <= MB, `peak ${s.peak}`);
  assert.ok(s.shrinkCalls > 0 && s.shrunkBytes > 0, "the dentry cache shrank");
  const charged = s.byOwner["dentry"] ?? 0;
  assert.ok(charged > 0 && charged <= MB, `dentry charge ${charged}`);
});
