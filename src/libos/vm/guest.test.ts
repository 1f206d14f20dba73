/**
 * A real C guest (wasi-libc malloc) on a memory from the user space: malloc gets NULL at the
 * process's cap, the memory never passes it, and the ledger catches up with the guest's growth.
 * memory.grow is not routed through onGrow yet (the loader's part), so this exercises the cap that
 * the memory's own maximum enforces plus `sync`; budget refusals are covered by the unit tests.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { buildGuest } from "../../../test/support/guest.ts";
import { readImports } from "../loader/wasm-info.ts";
import { UserSpace } from "./user-space.ts";
import { WASM_PAGE } from "./limits.ts";

const MB = 1 << 20;

test("malloc returns NULL at the process cap (heap + stack), and only there", async () => {
  const file = await buildGuest("src/libos/vm/testdata/malloc_until_null.c", {
    mode: "wasip1",
    flags: ["-mexec-model=reactor", "-Wl,--import-memory", "-Wl,--export-memory", "-Wl,--max-memory=67108864"],
  });
  const bytes = new Uint8Array(readFileSync(file));
  const imp = readImports(bytes).find((i) => i.kind === "memory");
  assert.ok(imp !== undefined && imp.kind === "memory");
  const module = new WebAssembly.Module(bytes);
  // heap 2 MB + stack = the image's initial size: cap = initial + 32 pages.
  const us = UserSpace.boot({ edmm: true, init: 1 * MB, max: 32 * MB, processHeap: 2 * MB, processStack: imp.initial * WASM_PAGE });
  const run = (owner: number) => {
    const pm = us.reserveForProcess(imp.initial, imp.maximum, { shared: imp.shared, owner });
    assert.equal(pm.maxPages, imp.initial + 32);
    const inst = new WebAssembly.Instance(module, { env: { memory: pm.memory! } });
    (inst.exports["_initialize"] as () => void)();
    const blocks = (inst.exports["probe"] as () => number)();
    return { pm, blocks };
  };
  const a = run(1);
  // 2 MB of growth holds 34 blocks; the initial image's free tail may hold a few more.
  assert.ok(a.blocks >= 32 && a.blocks * 60 * 1024 <= a.pm.maxPages * WASM_PAGE, `${a.blocks} blocks of 60 KiB`);
  assert.equal(a.pm.memory!.buffer.byteLength, a.pm.maxPages * WASM_PAGE, "grown to the cap, not past it");
  assert.equal(us.sync(a.pm), true);
  assert.equal(us.stats().inUse, a.pm.maxPages * WASM_PAGE);
  // The next process after a's exit starts clean (a recycled, zeroed memory) and gets the same.
  us.release(a.pm);
  assert.equal(us.stats().inUse, 0);
  const b = run(2);
  assert.equal(b.blocks, a.blocks);
});
