import assert from "node:assert/strict";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { RamFs } from "../ramfs/ramfs.ts";
import { openDirLayerStore } from "../sefs/dir-layer-store.ts";
import { FileType, FstFlags, OFlags } from "../types.ts";
import { CREAT, DIR, RD, WR, names, opts, readAll, readFile, rejectsErrno, writeFile } from "../testing/helpers.ts";
import { VfsCore } from "../vfs/vfs.ts";
import { UnionFs } from "./unionfs.ts";

const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "unionfs-test-"));
after(() => fsp.rm(tmp, { recursive: true, force: true }));

/** A lower layer with /etc/{a,b}, /etc/sub/deep, /bin/tool, /link → etc/a. */
async function lowerRam(): Promise<RamFs> {
  const lower = new RamFs();
  const core = await VfsCore.create(lower);
  const v = core.forProcess(0);
  const r = await v.openRoot();
  await v.mkdir(r, "etc");
  await v.mkdir(r, "etc/sub");
  await v.mkdir(r, "bin");
  await writeFile(v, r, "etc/a", "A");
  await writeFile(v, r, "etc/b", "B");
  await writeFile(v, r, "etc/sub/deep", "D");
  await writeFile(v, r, "bin/tool", "T");
  await v.symlink("etc/a", r, "link");
  await v.setTimes(r, "etc/a", false, 7_000n, 8_000n, FstFlags.ATIM | FstFlags.MTIM);
  const ro = await v.open(r, "bin/ro", { ...CREAT, mode: 0o444 });
  await ro.write([new TextEncoder().encode("R")]);
  await ro.release();
  return lower;
}

async function union(lower = lowerRam(), upper: RamFs = new RamFs()) {
  const u = new UnionFs(await lower, upper);
  const core = await VfsCore.create(u);
  const vfs = core.forProcess(1);
  const root = await vfs.openRoot();
  const upCore = await VfsCore.create(upper);
  const up = upCore.forProcess(0);
  return { u, core, vfs, root, upper, up, upRoot: await up.openRoot() };
}

test("unionfs: lower entries visible, writes copy up, lower untouched", async () => {
  const { vfs, root, up, upRoot } = await union();
  assert.equal(await readFile(vfs, root, "etc/a"), "A");
  assert.equal(await readFile(vfs, root, "link"), "A");
  const inoBefore = (await vfs.stat(root, "etc/a", true)).ino;
  const f = await vfs.open(root, "etc/a", WR);
  await f.write([new TextEncoder().encode("Z")]);
  await f.release();
  assert.equal(await readFile(vfs, root, "etc/a"), "Z");
  assert.equal(await readFile(up, upRoot, "etc/a"), "Z", "copied up into the upper layer");
  assert.equal((await vfs.stat(root, "etc/a", true)).ino, inoBefore, "inode number stable across copy-up");
  await rejectsErrno(up.stat(upRoot, "etc/b", true), "ENOENT");
  // Truncate copies up too, and preserves nothing of the old content.
  await (await vfs.open(root, "etc/b", opts({ write: true, oflags: OFlags.TRUNC }))).release();
  assert.equal(await readFile(vfs, root, "etc/b"), "");
});

test("unionfs: copy-up keeps times; setTimes copies up", async () => {
  const { vfs, root, up, upRoot } = await union();
  await vfs.setTimes(root, "etc/sub/deep", true, 1n, 2n, FstFlags.ATIM | FstFlags.MTIM);
  assert.equal((await up.stat(upRoot, "etc/sub/deep", true)).mtim, 2n);
  const f = await vfs.open(root, "etc/a", WR);
  await f.release();
  assert.equal((await vfs.stat(root, "etc/a", true)).mtim, 8_000n);
  // A read-only file keeps its mode when copied up.
  await (await vfs.open(root, "bin/ro", WR)).release();
  assert.equal((await up.stat(upRoot, "bin/ro", true)).mode, 0o444);
  assert.equal(await readFile(vfs, root, "bin/ro"), "R");
  // setTimes through a read-only descriptor of a lower file.
  const r = await vfs.open(root, "bin/tool", RD);
  await r.setTimes(0n, 42n, FstFlags.MTIM);
  assert.equal((await r.stat()).mtim, 42n);
  assert.equal((await up.stat(upRoot, "bin/tool", true)).mtim, 42n);
});

test("unionfs: whiteouts, merged readdir, reserved names", async () => {
  const { vfs, root, up, upRoot } = await union();
  await writeFile(vfs, root, "etc/c", "C");
  await vfs.unlink(root, "etc/b");
  await rejectsErrno(vfs.stat(root, "etc/b", true), "ENOENT");
  const d = await vfs.open(root, "etc", DIR);
  assert.deepEqual(await names(d), [".", "..", "a", "c", "sub"]);
  assert.deepEqual(await names(await up.open(upRoot, "etc", DIR)), [".", "..", ".wh.b", "c"]);
  await rejectsErrno(vfs.open(root, "etc/.wh.b", RD), "ENOENT");
  await rejectsErrno(vfs.open(root, "etc/.wh.x", CREAT), "EPERM");
  // Recreating the deleted name works, and unlinking it again keeps the lower one hidden.
  await writeFile(vfs, root, "etc/b", "new");
  assert.equal(await readFile(vfs, root, "etc/b"), "new");
  await vfs.unlink(root, "etc/b");
  await rejectsErrno(vfs.stat(root, "etc/b", true), "ENOENT");
  // Entries list with distinct inode numbers.
  const inos = (await d.readdir(0n)).slice(2).map((e) => e.ino);
  assert.equal(new Set(inos).size, inos.length);
});

test("unionfs: rmdir of a merged directory, then mkdir gives an opaque directory", async () => {
  const { vfs, root } = await union();
  await rejectsErrno(vfs.rmdir(root, "etc/sub"), "ENOTEMPTY");
  await vfs.unlink(root, "etc/sub/deep");
  await writeFile(vfs, root, "etc/sub/tmp", "t");
  await vfs.unlink(root, "etc/sub/tmp");
  await vfs.rmdir(root, "etc/sub");
  await rejectsErrno(vfs.stat(root, "etc/sub", true), "ENOENT");
  await vfs.mkdir(root, "etc/sub");
  assert.deepEqual(await names(await vfs.open(root, "etc/sub", DIR)), [".", ".."]);
  await rejectsErrno(vfs.stat(root, "etc/sub/deep", true), "ENOENT");
});

test("unionfs: rename files and directories with lower contents", async () => {
  const { vfs, root } = await union();
  await vfs.rename(root, "etc/a", root, "bin/a2");
  assert.equal(await readFile(vfs, root, "bin/a2"), "A");
  await rejectsErrno(vfs.stat(root, "etc/a", true), "ENOENT");
  const etc = await vfs.open(root, "etc", DIR);
  await vfs.rename(root, "etc", root, "etc2");
  assert.deepEqual(await names(await vfs.open(root, "etc2", DIR)), [".", "..", "b", "sub"]);
  assert.equal(await readFile(vfs, root, "etc2/sub/deep"), "D");
  await rejectsErrno(vfs.stat(root, "etc", true), "ENOENT");
  assert.equal(await readFile(vfs, etc, "b"), "B", "an open directory follows its rename");
  // Replace a lower file by rename; the lower one must not reappear.
  await writeFile(vfs, root, "newfile", "N");
  await vfs.rename(root, "newfile", root, "bin/tool");
  assert.equal(await readFile(vfs, root, "bin/tool"), "N");
  await vfs.unlink(root, "bin/tool");
  await rejectsErrno(vfs.stat(root, "bin/tool", true), "ENOENT");
  // Directory over an empty merged-away directory.
  await vfs.mkdir(root, "x");
  await vfs.rename(root, "x", root, "etc2/sub2");
  assert.equal((await vfs.stat(root, "etc2/sub2", true)).filetype, FileType.DIRECTORY);
  await rejectsErrno(vfs.rename(root, "etc2", root, "etc2/sub2/in"), "EINVAL");
});

test("unionfs: hard links copy the source up first", async () => {
  const { vfs, root } = await union();
  await vfs.link(root, "etc/a", root, "a-link", false);
  assert.equal((await vfs.stat(root, "a-link", true)).nlink, 2n);
  await writeFile(vfs, root, "a-link", "shared");
  assert.equal(await readFile(vfs, root, "etc/a"), "shared");
});

test("unionfs over DirLayerStores persists across re-creation", async () => {
  const lowerDir = path.join(tmp, "lower");
  const upperDir = path.join(tmp, "upper");
  await fsp.mkdir(path.join(lowerDir, "etc"), { recursive: true });
  await fsp.writeFile(path.join(lowerDir, "etc", "conf"), "lower");
  await fsp.writeFile(path.join(lowerDir, "etc", "gone"), "x");
  await fsp.mkdir(path.join(lowerDir, "var", "lib"), { recursive: true });
  await fsp.writeFile(path.join(lowerDir, "var", "lib", "db"), "DB");
  await fsp.mkdir(path.join(lowerDir, "opt", "pkg"), { recursive: true });
  await fsp.writeFile(path.join(lowerDir, "opt", "pkg", "old"), "old");
  const open = async () => {
    const u = new UnionFs(await openDirLayerStore(lowerDir, { readOnly: true }), await openDirLayerStore(upperDir));
    const core = await VfsCore.create(u);
    const vfs = core.forProcess(1);
    return { core, vfs, root: await vfs.openRoot() };
  };
  const a = await open();
  await writeFile(a.vfs, a.root, "etc/conf", "upper");
  await a.vfs.unlink(a.root, "etc/gone");
  await a.vfs.mkdir(a.root, "data");
  await writeFile(a.vfs, a.root, "data/x", "X");
  await a.vfs.rename(a.root, "var", a.root, "var2");
  await a.vfs.unlink(a.root, "opt/pkg/old");
  await a.vfs.rmdir(a.root, "opt/pkg");
  await a.vfs.mkdir(a.root, "opt/pkg");
  await writeFile(a.vfs, a.root, "opt/pkg/new", "new");
  await a.core.close();
  const b = await open();
  assert.equal(await readFile(b.vfs, b.root, "etc/conf"), "upper");
  await rejectsErrno(b.vfs.stat(b.root, "etc/gone", true), "ENOENT");
  assert.equal(await readFile(b.vfs, b.root, "data/x"), "X");
  assert.deepEqual(await names(await b.vfs.open(b.root, "etc", DIR)), [".", "..", "conf"]);
  assert.equal(await readFile(b.vfs, b.root, "var2/lib/db"), "DB");
  await rejectsErrno(b.vfs.stat(b.root, "var", true), "ENOENT");
  assert.deepEqual(await names(await b.vfs.open(b.root, "opt/pkg", DIR)), [".", "..", "new"]);
  assert.deepEqual(await names(await b.vfs.open(b.root, ".", DIR)), [".", "..", "data", "etc", "opt", "var2"]);
  assert.equal(await fsp.readFile(path.join(lowerDir, "etc", "conf"), "utf8"), "lower", "lower layer untouched");
  const f = await b.vfs.open(b.root, "etc/conf", RD);
  assert.equal(await readAll(f), "upper");
  await f.release();
  await b.core.close();
});
