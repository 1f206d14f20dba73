/**
 * The exclusive (layer store) name cache on a kernel heap (CacheHeap): every cached lookup is
 * charged, invalidation and the shrinker give exactly that back, and a refused charge only
 * means "not cached" (lookups stay correct).
 */
import assert from "node:assert/strict";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { readFile, rejectsErrno, writeFile } from "../testing/helpers.ts";
import { VfsCore } from "../vfs/vfs.ts";
import { HostFs, type CacheHeap } from "./hostfs.ts";

const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "hostfs-heap-test-"));
after(() => fsp.rm(tmp, { recursive: true, force: true }));

class FakeHeap implements CacheHeap {
  used = 0;
  limit: number;
  readonly shrinkers: ((want: number) => number)[] = [];
  constructor(limit: number) {
    this.limit = limit;
  }
  charge(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }
  uncharge(bytes: number): void {
    assert.ok(bytes > 0 && bytes <= this.used, `uncharge ${bytes} of ${this.used}`);
    this.used -= bytes;
  }
  registerShrinker(_name: string, fn: (want: number) => number): () => void {
    this.shrinkers.push(fn);
    return () => {};
  }
}

async function store(name: string, heap: FakeHeap) {
  const dir = path.join(tmp, name);
  await fsp.mkdir(dir);
  const fs = await HostFs.open(dir, { exclusive: true, cacheHeap: heap });
  const core = await VfsCore.create(fs);
  return { core, vfs: core.forProcess(1) };
}

test("cached lookups are charged, invalidation and the shrinker give them back exactly", async () => {
  const heap = new FakeHeap(1 << 20);
  const { core, vfs } = await store("charged", heap);
  assert.equal(heap.shrinkers.length, 1);
  const root = await vfs.openRoot();
  await rejectsErrno(vfs.stat(root, "a", true), "ENOENT");
  const one = heap.used;
  assert.ok(one > 0, "the cached absence is charged");
  await vfs.mkdir(root, "d");
  await writeFile(vfs, root, "d/x", "x");
  assert.equal(await readFile(vfs, root, "d/x"), "x");
  const full = heap.used;
  assert.ok(full > one);
  await vfs.unlink(root, "d/x");
  await vfs.rmdir(root, "d"); // drops d's own cached names too
  assert.ok(heap.used < full, `${heap.used} < ${full}`);
  const freed = heap.shrinkers[0]!(1);
  assert.equal(heap.used, 0, "the shrinker dropped every cached name");
  assert.ok(freed > 0);
  await writeFile(vfs, root, "b", "1");
  assert.equal(await readFile(vfs, root, "b"), "1", "lookups after a shrink are right");
  await core.close();
});

test("a refused charge leaves the lookup uncached but correct", async () => {
  const heap = new FakeHeap(0);
  const { core, vfs } = await store("refused", heap);
  const root = await vfs.openRoot();
  await rejectsErrno(vfs.stat(root, "a", true), "ENOENT");
  await writeFile(vfs, root, "a", "1");
  assert.equal(await readFile(vfs, root, "a"), "1");
  await vfs.unlink(root, "a");
  await rejectsErrno(vfs.stat(root, "a", true), "ENOENT");
  assert.equal(heap.used, 0);
  await core.close();
});
