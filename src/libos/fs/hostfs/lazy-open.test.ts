/**
 * Exclusive stores (layer stores) open host handles lazily and share read-only ones: a guest open
 * must still behave as if the file was opened at path_open time.
 */
import assert from "node:assert/strict";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { OFlags } from "../types.ts";
import { CREAT, RD, WR, readAll, readFile, writeFile } from "../testing/helpers.ts";
import { UnionFs } from "../unionfs/unionfs.ts";
import { VfsCore } from "../vfs/vfs.ts";
import { HostFs } from "./hostfs.ts";

const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "hostfs-lazy-"));
after(() => fsp.rm(tmp, { recursive: true, force: true }));
const enc = new TextEncoder();

async function store(name: string, readOnly = false) {
  const dir = path.join(tmp, name);
  await fsp.mkdir(dir, { recursive: true });
  return { dir, fs: await HostFs.open(dir, { exclusive: true, readOnly }) };
}

test("lazy open: a file opened before an unlink, a rename or a replace keeps its own data", async () => {
  const { dir, fs } = await store("changes");
  const core = await VfsCore.create(fs);
  const vfs = core.forProcess(1);
  const root = await vfs.openRoot();
  await vfs.mkdir(root, "d");
  await writeFile(vfs, root, "d/a", "AAA");
  await writeFile(vfs, root, "d/b", "BBB");

  // Opened (no data access yet), then unlinked: still readable, as on Linux.
  const a = await vfs.open(root, "d/a", RD);
  assert.equal(fs.pending.size, 1, "the host handle is not open yet");
  await vfs.unlink(root, "d/a");
  assert.equal(fs.pending.size, 0, "the change opened it first");
  assert.equal(await readAll(a), "AAA");
  await a.release();

  // Opened, then its directory moved and a new file put in its old place.
  const b = await vfs.open(root, "d/b", RD);
  await vfs.rename(root, "d", root, "e");
  await vfs.mkdir(root, "d");
  await writeFile(vfs, root, "d/b", "new");
  assert.equal(await readAll(b), "BBB");
  await b.release();

  // Opened for writing, then replaced by a rename over it: writes go to the file it opened.
  await writeFile(vfs, root, "w", "old");
  await writeFile(vfs, root, "other", "other");
  const w = await vfs.open(root, "w", WR);
  await vfs.rename(root, "other", root, "w");
  assert.equal(await w.pwrite([enc.encode("X")], 0n), 1);
  await w.release();
  assert.equal(await fsp.readFile(path.join(dir, "w"), "utf8"), "other");

  // Open + close without touching the data never opens the host file.
  const c = await vfs.open(root, "e/b", RD);
  await c.release();
  assert.equal(fs.pending.size, 0);
  await core.close();
});

test("lazy open: O_TRUNC takes effect at open; fstat of a never-read file is exact", async () => {
  const { dir, fs } = await store("trunc");
  const core = await VfsCore.create(fs);
  const vfs = core.forProcess(1);
  const root = await vfs.openRoot();
  await writeFile(vfs, root, "t", "0123456789");
  const t = await vfs.open(root, "t", { ...WR, oflags: OFlags.TRUNC });
  assert.equal((await fsp.stat(path.join(dir, "t"))).size, 0, "truncated before any write");
  assert.equal((await t.stat()).size, 0n);
  await t.release();
  await writeFile(vfs, root, "s", "12345");
  const s = await vfs.open(root, "s", RD);
  assert.equal((await s.stat()).size, 5n);
  await s.release();
  // A create + write through a lazily opened description lands on the host.
  const n = await vfs.open(root, "n", CREAT);
  await n.write([enc.encode("hello")]);
  await n.release();
  assert.equal(await fsp.readFile(path.join(dir, "n"), "utf8"), "hello");
  await core.close();
});

test("read-only store: descriptions of one file share a host handle, each with its own offset", async () => {
  const { dir } = await store("ro");
  await fsp.writeFile(path.join(dir, "f"), "abcdef");
  const { fs } = await store("ro", true);
  const core = await VfsCore.create(fs, { readOnly: true });
  const vfs = core.forProcess(1);
  const root = await vfs.openRoot();
  const x = await vfs.open(root, "f", RD);
  const y = await vfs.open(root, "f", RD);
  const buf = new Uint8Array(2);
  assert.equal(await x.read([buf]), 2);
  assert.equal(new TextDecoder().decode(buf), "ab");
  await x.release();
  assert.equal(await readAll(y), "abcdef", "y has its own offset and outlives x's close");
  await y.release();
  for (let i = 0; i < 100; i++) assert.equal(await readFile(vfs, root, "f"), "abcdef");
  assert.equal((await vfs.stat(root, "f", true)).size, 6n);
  await core.close();
});

test("union over exclusive stores: copy-up and whiteouts with lazily opened descriptions", async () => {
  const lowerDir = path.join(tmp, "u-lower");
  await fsp.mkdir(lowerDir);
  await fsp.writeFile(path.join(lowerDir, "img"), "image");
  const lower = await HostFs.open(lowerDir, { exclusive: true, readOnly: true });
  const { dir: upperDir, fs: upper } = await store("u-upper");
  const core = await VfsCore.create(new UnionFs(lower, upper));
  const vfs = core.forProcess(1);
  const root = await vfs.openRoot();
  const before = await vfs.open(root, "img", RD);
  const w = await vfs.open(root, "img", WR); // copy-up
  await w.pwrite([enc.encode("I")], 0n);
  await w.release();
  assert.equal(await readFile(vfs, root, "img"), "Image");
  assert.equal(await readAll(before), "image", "a description of the lower file keeps the lower data");
  await before.release();
  const gone = await vfs.open(root, "img", RD);
  await vfs.unlink(root, "img");
  assert.equal(await readAll(gone), "Image");
  await gone.release();
  assert.equal(await fsp.readFile(path.join(lowerDir, "img"), "utf8"), "image", "the lower layer is untouched");
  assert.deepEqual((await fsp.readdir(upperDir)).sort(), [".wh.img"]);
  await core.close();
});
