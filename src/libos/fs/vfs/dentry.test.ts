import assert from "node:assert/strict";
import { test } from "node:test";
import { KernelHeap } from "../../vm/kernel-heap.ts";
import { RamFs } from "../ramfs/ramfs.ts";
import { readFile, writeFile } from "../testing/helpers.ts";
import { Dentry, dentryCost } from "./dentry.ts";
import { VfsCore } from "./vfs.ts";

/** The dentry cache charged to a real kernel heap of `limit` bytes, as boot.ts wires it. */
async function setup(limit: number) {
  const heap = new KernelHeap({ edmm: false, init: limit, max: limit });
  const dentryHeap = {
    charge: (b: number) => heap.tryCharge(b, "dentry"),
    uncharge: (b: number) => heap.uncharge(b, "dentry"),
    registerShrinker: (n: string, fn: (w: number) => number) => heap.registerShrinker(n, fn),
  };
  const core = await VfsCore.create(new RamFs(), { dentryHeap });
  const vfs = core.forProcess(1);
  const root = await vfs.openRoot();
  return { heap, core, vfs, root };
}

/** What the cached tree holds, summed the way it was charged (mounted roots followed). */
function cachedCost(d: Dentry): number {
  let n = 0;
  for (const [name, c] of d.children) {
    n += dentryCost(name);
    n += cachedCost(c.mounted ? c.mounted.root : c);
  }
  return n;
}

const charged = (heap: KernelHeap): number => heap.stats().byOwner["dentry"] ?? 0;

test("lookups charge, unlink and rename keep the ledger equal to the cached tree", async () => {
  const { heap, core, vfs, root } = await setup(1 << 20);
  await vfs.mkdir(root, "a");
  for (let i = 0; i < 50; i++) await writeFile(vfs, root, `a/f${i}`, "");
  assert.equal(charged(heap), cachedCost(core.root));
  assert.ok(charged(heap) >= 50 * dentryCost("f0"));
  for (let i = 0; i < 10; i++) await vfs.unlink(root, `a/f${i}`);
  assert.equal(charged(heap), cachedCost(core.root), "unlinked names are uncharged");
  await vfs.mkdir(root, "b");
  await vfs.rename(root, "a/f10", root, "b/a-much-longer-name");
  await vfs.rename(root, "a/f11", root, "a/f12"); // replaces f12
  assert.equal(charged(heap), cachedCost(core.root), "renames move the charge with the name");
  assert.equal(core.dentryCache!.bytes, charged(heap));
});

test("under pressure the shrinker drops files before directories, never a mountpoint", async () => {
  const { heap, core, vfs, root } = await setup(64 << 10);
  await vfs.mkdir(root, "d");
  await vfs.mkdir(root, "mnt");
  await core.mount("/mnt", new RamFs());
  for (let i = 0; i < 40; i++) await writeFile(vfs, root, `d/f${i}`, "");
  const before = charged(heap);
  assert.ok(heap.tryCharge(heap.limit - heap.inUse + 40 * dentryCost("f0") / 2, "other"), "someone else needs half the files' share");
  assert.ok(charged(heap) < before);
  assert.ok(core.root.children.has("d"), "directories stay while files can go");
  assert.ok(core.root.children.get("mnt")?.mounted, "the mountpoint stays pinned");
  assert.equal(charged(heap), cachedCost(core.root));
  // Dropped names are only uncached: lookups still find the files (and cache them when there is room).
  heap.uncharge(heap.stats().byOwner["other"]!, "other");
  assert.equal(await readFile(vfs, root, "d/f0"), "");
  assert.equal(charged(heap), cachedCost(core.root));
});

test("no room at all: dentries are used uncached, operations still succeed", async () => {
  const { heap, core, vfs, root } = await setup(16 << 10);
  assert.ok(heap.tryCharge(heap.limit - heap.inUse, "other"));
  await vfs.mkdir(root, "x");
  await writeFile(vfs, root, "x/y", "z");
  assert.equal(await readFile(vfs, root, "x/y"), "z");
  assert.equal(charged(heap), cachedCost(core.root));
  assert.ok(heap.stats().failedCharges > 0);
});
