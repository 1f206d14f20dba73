import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { UserSpace } from "./user-space.ts";
import { VmError, WASM_PAGE, type UserSpaceLimits } from "./limits.ts";

const MB = 1 << 20;
const lim = (edmm: boolean, initMB: number, maxMB: number, heapMB = 64, stackMB = 1): UserSpaceLimits => ({
  edmm, init: initMB * MB, max: maxMB * MB, processHeap: heapMB * MB, processStack: stackMB * MB,
});

/** A module that imports env.memory with the given limits (hand-assembled, 24 bytes). */
function importingModule(min: number, max: number, shared: boolean): WebAssembly.Module {
  assert.ok(min < 128 && max < 128);
  const body = [1, 3, ...Buffer.from("env"), 6, ...Buffer.from("memory"), 2, shared ? 3 : 1, min, max];
  return new WebAssembly.Module(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 2, body.length, ...body]));
}

test("EDMM on: exactly Init is committed at boot, the rest comes on demand up to Max", () => {
  const us = UserSpace.boot(lim(true, 8, 64));
  const s = us.stats();
  assert.equal(s.bootCommitted, 8 * MB);
  assert.equal(s.committed, 8 * MB);
  assert.equal(s.reserve, 8 * MB);
  assert.equal(s.inUse, 0);
  assert.equal(s.limit, 64 * MB);
  // 16 MB: 8 from the reserve, 8 committed on demand.
  const pm = us.reserveForProcess(256, undefined, { shared: true });
  assert.equal(us.stats().committed, 16 * MB);
  assert.equal(us.stats().committedAfterBoot, 8 * MB);
  assert.equal(pm.memory!.buffer.byteLength, 16 * MB);
  assert.ok(pm.memory!.buffer instanceof SharedArrayBuffer);
  // Release: committed goes back to Init (the on-demand part is given back), never below it.
  us.release(pm);
  assert.equal(us.stats().committed, 8 * MB);
  assert.equal(us.stats().inUse, 0);
  assert.equal(us.stats().peakCommitted, 16 * MB);
});

test("EDMM off: the static size (Max) is committed at boot and stays committed", () => {
  const us = UserSpace.boot(lim(false, 8, 48));
  assert.equal(us.stats().bootCommitted, 48 * MB);
  assert.equal(us.stats().committed, 48 * MB);
  const a = us.reserveForProcess(64);
  assert.ok(us.onGrow(a, 64));
  assert.equal(us.stats().committed, 48 * MB, "memory moves from the reserve to the process");
  assert.equal(us.stats().inUse, 8 * MB);
  assert.equal(us.stats().committedAfterBoot, 0);
  us.release(a);
  assert.equal(us.stats().committed, 48 * MB);
  assert.equal(us.stats().inUse, 0);
});

test("a process growing past its own cap (heap + stack) is refused; the memory is unchanged", () => {
  const us = UserSpace.boot(lim(true, 4, 64, 1, 1)); // cap = 2 MB = 32 pages
  const pm = us.reserveForProcess(8, undefined, { owner: 7 });
  assert.equal(pm.maxPages, 32);
  assert.equal(us.grow(pm, 24), 8);
  assert.equal(us.grow(pm, 1), -1);
  assert.equal(pm.refused.cap, 1);
  assert.match(pm.lastRefusal!, /process 7: memory\.grow\(1\) past its cap of 32 pages/);
  assert.equal(pm.memory!.buffer.byteLength, 32 * WASM_PAGE);
  // The module's own maximum caps too, when smaller.
  assert.equal(us.reserveForProcess(1, 5).maxPages, 5);
  // An initial image larger than heap + stack may start but not grow.
  const big = us.reserveForProcess(40);
  assert.equal(big.maxPages, 40);
  assert.equal(us.grow(big, 1), -1);
});

test("budget exhaustion by one process leaves the others able to allocate what remains", () => {
  const us = UserSpace.boot(lim(true, 2, 16, 64));
  const a = us.reserveForProcess(16, undefined, { owner: 1 });
  const b = us.reserveForProcess(16, undefined, { owner: 2 });
  let grown = 0;
  while (us.onGrow(a, 40)) grown += 40;
  assert.equal(a.refused.budget, 1);
  assert.match(a.lastRefusal!, /user space exhausted/);
  const left = us.available / WASM_PAGE;
  assert.equal(left, 256 - 32 - grown);
  assert.ok(left > 0 && left < 40);
  // b still works and can take exactly what remains, not a page more.
  new Uint8Array(b.memory!.buffer).fill(7);
  assert.equal(us.grow(b, left), 16);
  assert.equal(us.grow(b, 1), -1);
  assert.throws(() => us.reserveForProcess(1), (e: unknown) => e instanceof VmError && e.code === "ENOMEM");
  // a's exit gives its share back.
  us.release(a);
  assert.equal(us.grow(b, 16), 16 + left);
  assert.equal(us.stats().inUse, b.bytes);
  assert.ok(us.stats().committed <= 16 * MB);
});

test("spawn beyond the budget fails with ENOMEM before V8 is asked", () => {
  const us = UserSpace.boot(lim(false, 4, 4));
  assert.throws(() => us.reserveForProcess(65), (e: unknown) => e instanceof VmError && e.code === "ENOMEM" && /needs 65 pages/.test(e.message));
  assert.equal(us.stats().refused.budget, 1);
  assert.equal(us.stats().committed, 4 * MB);
  assert.equal(us.stats().inUse, 0);
});

test("imported memories fit the module's import and are recycled zeroed for the same shape", () => {
  const us = UserSpace.boot(lim(false, 8, 32, 2, 2)); // cap 64 pages
  const mod = importingModule(2, 100, true);
  const pm = us.reserveForProcess(4, 100, { shared: true });
  new WebAssembly.Instance(mod, { env: { memory: pm.memory! } });
  const first = pm.memory!;
  new Uint8Array(first.buffer).fill(9);
  us.release(pm);
  const again = us.reserveForProcess(4, 100, { shared: true });
  assert.equal(again.memory, first, "the warm memory is reused");
  assert.ok(new Uint8Array(again.memory!.buffer).every((x) => x === 0), "and zeroed");
  new WebAssembly.Instance(mod, { env: { memory: again.memory! } });
  assert.equal(us.stats().committed, 32 * MB);
  // A different shape gets a fresh memory.
  const other = us.reserveForProcess(4, 100, { shared: false });
  assert.notEqual(other.memory, first);
  assert.ok(!(other.memory!.buffer instanceof SharedArrayBuffer));
});

test("a defined memory is charged before instantiation, attached, then grown from JS", () => {
  const us = UserSpace.boot(lim(true, 1, 16, 2, 0));
  const pm = us.reserveForProcess(3, 20, { defined: true });
  assert.equal(pm.memory, undefined);
  assert.equal(us.stats().inUse, 3 * WASM_PAGE);
  const mem = new WebAssembly.Memory({ initial: 4, maximum: 20 }); // the module's real size differs
  new Uint8Array(mem.buffer)[5] = 42;
  us.attach(pm, mem);
  assert.equal(pm.pages, 4);
  assert.equal(us.stats().inUse, 4 * WASM_PAGE);
  assert.equal(new Uint8Array(mem.buffer)[5], 42, "touching keeps the data");
  assert.equal(us.grow(pm, 16), 4);
  assert.equal(mem.buffer.byteLength, 20 * WASM_PAGE);
  assert.equal(us.grow(pm, 1), -1, "module maximum 20");
  us.release(pm);
  assert.equal(us.stats().inUse, 0);
  assert.equal(us.stats().committed, 1 * MB);
});

test("an unattached defined memory is only charged; refund undoes a failed grow", () => {
  const us = UserSpace.boot(lim(true, 1, 16));
  const pm = us.reserveForProcess(2, undefined, { defined: true });
  assert.ok(us.onGrow(pm, 10));
  assert.equal(us.stats().inUse, 12 * WASM_PAGE);
  us.refund(pm, 10);
  assert.equal(pm.pages, 2);
  assert.equal(us.stats().inUse, 2 * WASM_PAGE);
});

test("the host's RSS really rises with the commitment (child process)", () => {
  const probe = fileURLToPath(new URL("./rss-probe.ts", import.meta.url));
  const run = (l: UserSpaceLimits, pages: number) =>
    JSON.parse(execFileSync(process.execPath, [probe, JSON.stringify(l), String(pages)], { encoding: "utf8" })) as {
      before: number; afterBoot: number; afterReserve: number; boot: { committed: number };
    };
  const off = run(lim(false, 4, 96), 512);
  assert.equal(off.boot.committed, 96 * MB);
  assert.ok(off.afterBoot - off.before > 72 * MB, `static 96 MB: RSS +${(off.afterBoot - off.before) / MB} MB`);
  assert.ok(off.afterReserve - off.afterBoot < 16 * MB, `a 32 MB process comes out of the static reserve: RSS +${(off.afterReserve - off.afterBoot) / MB} MB`);
  const on = run(lim(true, 4, 96), 512);
  assert.equal(on.boot.committed, 4 * MB);
  assert.ok(on.afterBoot - on.before < 32 * MB, `EDMM Init 4 MB: RSS +${(on.afterBoot - on.before) / MB} MB`);
  assert.ok(on.afterReserve - on.afterBoot > 20 * MB, `on-demand 28 MB: RSS +${(on.afterReserve - on.afterBoot) / MB} MB`);
});

test("sync charges growth that bypassed onGrow, and says when it overran the limit", () => {
  const us = UserSpace.boot(lim(true, 1, 2, 4, 0));
  const pm = us.reserveForProcess(8);
  pm.memory!.grow(8); // as an uninstrumented guest would
  assert.equal(us.sync(pm), true);
  assert.equal(pm.pages, 16);
  assert.equal(us.stats().inUse, 1 * MB);
  const other = us.reserveForProcess(16);
  other.memory!.grow(1);
  assert.equal(us.sync(other), false);
  assert.equal(other.refused.budget, 1);
  assert.equal(us.stats().inUse, 2 * MB + WASM_PAGE, "the ledger stays true to what is held");
});

test("a host cap below Max turns into ENOMEM for the guest, not a host OOM", () => {
  const us = UserSpace.boot({ ...lim(true, 1, 16 * 1024), hostCap: 4 * MB });
  const pm = us.reserveForProcess(32);
  assert.equal(us.grow(pm, 32), 32);
  assert.equal(us.grow(pm, 1), -1);
  assert.equal(pm.refused.host, 1);
  assert.match(pm.lastRefusal!, /the host cannot back more/);
  assert.throws(() => us.reserveForProcess(1), /ENOMEM/);
});

test("onGrow accounts for native growth first, so sizes and old values stay right", () => {
  const us = UserSpace.boot(lim(true, 1, 16, 4, 0)); // cap 64 pages
  const pm = us.reserveForProcess(8);
  pm.memory!.grow(4);
  assert.equal(us.grow(pm, 2), 12);
  assert.equal(pm.pages, 14);
  assert.equal(pm.memory!.buffer.byteLength, 14 * WASM_PAGE);
  assert.equal(us.stats().inUse, 14 * WASM_PAGE);
});

test("prewarm turns reserve into ready memories of the entry program's shape", () => {
  const us = UserSpace.boot(lim(true, 8, 64, 2, 2));
  assert.equal(us.prewarm(16, 100, true, 2), 2);
  assert.equal(us.stats().committed, 8 * MB, "committed unchanged");
  const pm = us.reserveForProcess(16, 100, { shared: true });
  assert.ok(pm.memory!.buffer instanceof SharedArrayBuffer);
  assert.equal(us.stats().committed, 8 * MB);
  assert.equal(us.stats().committedAfterBoot, 0, "spawn took a prepared memory");
  assert.equal(us.prewarm(16, 100, true, 10), 6, "only what the raw reserve covers (6 MB left)");
  assert.equal(us.stats().committed, 8 * MB);
});

test("commitBootAsync: the toucher writes every chunk; committed only once all are touched", async () => {
  const us = new UserSpace(lim(true, 10, 64));
  const touched: number[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const done = us.commitBootAsync(async (chunk) => {
    await gate;
    new Uint8Array(chunk).fill(0); // a real toucher (vm-boot.ts) has the kernel write it
    touched.push(chunk.byteLength);
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(us.stats().committed, 0, "nothing counted while the pages are being touched");
  us.commitBoot(); // a concurrent synchronous boot does not double the commitment
  release();
  await done;
  assert.deepEqual(touched.sort((a, b) => a - b), [2 * MB, 4 * MB, 4 * MB]);
  assert.equal(us.stats().committed, 10 * MB);
  assert.equal(us.stats().bootCommitted, 10 * MB);
  // From here on it is the ordinary reserve: a small defined memory takes part of a chunk.
  const pm = us.reserveForProcess(0, undefined, { defined: true });
  us.attach(pm, new WebAssembly.Memory({ initial: 3 }));
  assert.equal(us.stats().reserve, 10 * MB - 3 * WASM_PAGE);
  assert.equal(us.stats().committed, 10 * MB);
});

test("commitBootAsync: a failing toucher leaves nothing committed", async () => {
  const us = new UserSpace(lim(false, 12, 12));
  let n = 0;
  await assert.rejects(us.commitBootAsync(async () => {
    if (++n === 2) throw new Error("host refused");
  }), /host refused/);
  assert.equal(us.stats().committed, 0);
  us.commitBoot(); // and the boot can still be made
  assert.equal(us.stats().committed, 12 * MB);
});
