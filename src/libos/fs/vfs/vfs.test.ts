import assert from "node:assert/strict";
import { test } from "node:test";
import { RamFs } from "../ramfs/ramfs.ts";
import { FdFlags, FileType, FstFlags, OFlags, Whence } from "../types.ts";
import { CREAT, DIR, RD, WR, names, opts, readAll, readFile, rejectsErrno, writeFile } from "../testing/helpers.ts";
import { VfsCore } from "./vfs.ts";

async function setup() {
  const core = await VfsCore.create(new RamFs());
  const vfs = core.forProcess(1);
  const root = await vfs.openRoot();
  return { core, vfs, root };
}

test("create, write, read back, stat sizes and types", async () => {
  const { vfs, root } = await setup();
  await vfs.mkdir(root, "a");
  await vfs.mkdir(root, "a/b");
  await writeFile(vfs, root, "a/b/f", "hello");
  assert.equal(await readAll(await vfs.openAbsolute("/a/b/f", RD)), "hello");
  assert.equal(await readFile(vfs, root, "a/./b/../b/f"), "hello");
  const st = await vfs.stat(root, "a/b/f", true);
  assert.equal(st.filetype, FileType.REGULAR_FILE);
  assert.equal(st.size, 5n);
  assert.equal(st.nlink, 1n);
  assert.equal((await vfs.stat(root, "a", true)).filetype, FileType.DIRECTORY);
});

test(".. at the root stays at the root; absolute path arguments are EPERM (as wasmtime)", async () => {
  const { vfs, root } = await setup();
  await writeFile(vfs, root, "f", "x");
  assert.equal(await readFile(vfs, root, "../../../f"), "x");
  await rejectsErrno(vfs.open(root, "/f", RD), "EPERM");
  await rejectsErrno(vfs.stat(root, "/f", true), "EPERM");
  await rejectsErrno(vfs.mkdir(root, "/d"), "EPERM");
  assert.equal(await readAll(await vfs.openAbsolute("/../f", RD)), "x");
  await rejectsErrno(vfs.open(root, "f\0", RD), "EINVAL");
  const d = await vfs.open(root, "..", DIR);
  assert.deepEqual(await names(d), [".", "..", "f"]);
});

test("symlinks: relative, absolute from the root, chains, dangling, loops", async () => {
  const { vfs, root } = await setup();
  await vfs.mkdir(root, "d");
  await writeFile(vfs, root, "d/f", "data");
  await vfs.symlink("f", root, "d/rel");
  await vfs.symlink("/d/f", root, "abs");
  await vfs.symlink("../../../../d", root, "d/up");
  await vfs.symlink("abs", root, "chain");
  await vfs.symlink("nowhere", root, "dangling");
  await vfs.symlink("loop2", root, "loop1");
  await vfs.symlink("loop1", root, "loop2");
  assert.equal(await readFile(vfs, root, "d/rel"), "data");
  assert.equal(await readFile(vfs, root, "abs"), "data");
  assert.equal(await readFile(vfs, root, "chain"), "data");
  assert.equal(await readFile(vfs, root, "d/up/f"), "data");
  assert.equal(await vfs.readlink(root, "d/up"), "../../../../d");
  await rejectsErrno(vfs.open(root, "dangling", RD), "ENOENT");
  await rejectsErrno(vfs.open(root, "loop1", RD), "ELOOP");
  await rejectsErrno(vfs.stat(root, "loop1/x", true), "ELOOP");
  // Not following a final symlink: lstat, ELOOP on open, ENOTDIR with O_DIRECTORY.
  assert.equal((await vfs.stat(root, "abs", false)).filetype, FileType.SYMBOLIC_LINK);
  await rejectsErrno(vfs.open(root, "abs", opts({ followSymlinks: false })), "ELOOP");
  await rejectsErrno(vfs.open(root, "d/up", opts({ followSymlinks: false, oflags: OFlags.DIRECTORY })), "ENOTDIR");
  // A trailing slash follows the link even without SYMLINK_FOLLOW.
  assert.equal((await vfs.stat(root, "d/up/", false)).filetype, FileType.DIRECTORY);
  // O_CREAT through a dangling symlink creates its target.
  const f = await vfs.open(root, "dangling", CREAT);
  await f.release();
  assert.equal((await vfs.stat(root, "nowhere", false)).filetype, FileType.REGULAR_FILE);
  // O_CREAT|O_EXCL on a symlink is EEXIST even when dangling.
  await vfs.symlink("missing", root, "dl2");
  await rejectsErrno(vfs.open(root, "dl2", { ...CREAT, oflags: OFlags.CREAT | OFlags.EXCL }), "EEXIST");
  await rejectsErrno(vfs.readlink(root, "d/f"), "EINVAL");
  await rejectsErrno(vfs.symlink("", root, "empty"), "ENOENT");
});

test("ELOOP after exactly 40 links; 40 is fine", async () => {
  const { vfs, root } = await setup();
  await writeFile(vfs, root, "l0", "end");
  for (let i = 1; i <= 41; i++) await vfs.symlink(`l${i - 1}`, root, `l${i}`);
  assert.equal(await readFile(vfs, root, "l40"), "end");
  await rejectsErrno(vfs.open(root, "l41", RD), "ELOOP");
});

test("ENAMETOOLONG for a 256-byte component and a path over 4096 bytes", async () => {
  const { vfs, root } = await setup();
  await vfs.mkdir(root, "x".repeat(255));
  await rejectsErrno(vfs.mkdir(root, "x".repeat(256)), "ENAMETOOLONG");
  await rejectsErrno(vfs.stat(root, "é".repeat(128), true), "ENAMETOOLONG"); // 256 bytes in UTF-8
  await rejectsErrno(vfs.stat(root, "a/".repeat(2049), true), "ENAMETOOLONG");
  await rejectsErrno(vfs.stat(root, "a".repeat(200) + "/".repeat(3896), true), "ENAMETOOLONG"); // 4096 bytes
  await rejectsErrno(vfs.stat(root, "a".repeat(200) + "/".repeat(3895), true), "ENOENT"); // 4095 bytes
  await rejectsErrno(vfs.symlink("t".repeat(4096), root, "long"), "ENAMETOOLONG");
  await vfs.symlink("t".repeat(4095), root, "long");
  await rejectsErrno(vfs.stat(root, "", true), "ENOENT");
});

test("path_open errnos", async () => {
  const { vfs, root } = await setup();
  await vfs.mkdir(root, "dir");
  await writeFile(vfs, root, "file", "x");
  await rejectsErrno(vfs.open(root, "missing", RD), "ENOENT");
  await rejectsErrno(vfs.open(root, "missing/x", CREAT), "ENOENT");
  await rejectsErrno(vfs.open(root, "file", DIR), "ENOTDIR");
  await rejectsErrno(vfs.open(root, "file/", RD), "ENOTDIR");
  await rejectsErrno(vfs.open(root, "file/x", RD), "ENOTDIR");
  await rejectsErrno(vfs.open(root, "dir", WR), "EISDIR");
  await rejectsErrno(vfs.open(root, "dir", opts({ oflags: OFlags.TRUNC })), "EISDIR");
  await rejectsErrno(vfs.open(root, "new/", CREAT), "EISDIR");
  await rejectsErrno(vfs.open(root, "dir", { ...RD, oflags: OFlags.CREAT }), "EISDIR");
  await rejectsErrno(vfs.open(root, "file", opts({ fdflags: FdFlags.SYNC })), "ENOTSUP");
  await rejectsErrno(vfs.open(root, "dir", opts({ oflags: OFlags.DIRECTORY | OFlags.CREAT })), "EINVAL");
  await rejectsErrno(vfs.open(root, "file", { ...CREAT, oflags: OFlags.CREAT | OFlags.EXCL }), "EEXIST");
  await rejectsErrno(vfs.open(root, "dir", { ...CREAT, oflags: OFlags.CREAT | OFlags.EXCL }), "EEXIST");
  const d = await vfs.open(root, "dir/", RD);
  assert.equal(d.filetype, FileType.DIRECTORY);
  await rejectsErrno(async () => d.read([new Uint8Array(1)]), "EISDIR");
  const f = await vfs.open(root, "file", RD);
  await rejectsErrno(async () => f.readdir(0n), "ENOTDIR");
  await rejectsErrno(vfs.open(f, "x", RD), "ENOTDIR");
  // O_TRUNC empties the file.
  await (await vfs.open(root, "file", opts({ write: true, oflags: OFlags.TRUNC }))).release();
  assert.equal((await vfs.stat(root, "file", true)).size, 0n);
});

test("mkdir/rmdir/unlink errnos and trailing slashes", async () => {
  const { vfs, root } = await setup();
  await vfs.mkdir(root, "dir/");
  await writeFile(vfs, root, "dir/f", "x");
  await writeFile(vfs, root, "file", "x");
  await rejectsErrno(vfs.mkdir(root, "dir"), "EEXIST");
  await rejectsErrno(vfs.mkdir(root, "file"), "EEXIST");
  await rejectsErrno(vfs.mkdir(root, "."), "EEXIST");
  await rejectsErrno(vfs.mkdir(root, "nope/x"), "ENOENT");
  await rejectsErrno(vfs.rmdir(root, "dir"), "ENOTEMPTY");
  await rejectsErrno(vfs.rmdir(root, "file"), "ENOTDIR");
  await rejectsErrno(vfs.rmdir(root, "file/"), "ENOTDIR");
  await rejectsErrno(vfs.rmdir(root, "dir/."), "EINVAL");
  await rejectsErrno(vfs.rmdir(root, "dir/.."), "ENOTEMPTY");
  await rejectsErrno(vfs.rmdir(root, "missing"), "ENOENT");
  await rejectsErrno(vfs.unlink(root, "dir"), "EISDIR");
  await rejectsErrno(vfs.unlink(root, "dir/"), "EISDIR");
  await rejectsErrno(vfs.unlink(root, "file/"), "ENOTDIR");
  await rejectsErrno(vfs.unlink(root, "missing"), "ENOENT");
  await vfs.unlink(root, "dir/f");
  await vfs.rmdir(root, "dir/");
  await rejectsErrno(vfs.stat(root, "dir", true), "ENOENT");
  await vfs.symlink("file", root, "ln");
  await rejectsErrno(vfs.symlink("x", root, "ln"), "EEXIST");
  await rejectsErrno(vfs.symlink("x", root, "ln/"), "ENOTDIR");
  await vfs.mkdir(root, "d2");
  await rejectsErrno(vfs.symlink("x", root, "d2/"), "EEXIST");
  await rejectsErrno(vfs.symlink("x", root, "new/"), "ENOENT");
  await vfs.unlink(root, "ln");
  assert.equal(await readFile(vfs, root, "file"), "x");
});

test("hard links share the inode and count nlink", async () => {
  const { vfs, root } = await setup();
  await writeFile(vfs, root, "a", "one");
  await vfs.link(root, "a", root, "b", false);
  assert.equal((await vfs.stat(root, "a", true)).nlink, 2n);
  assert.equal((await vfs.stat(root, "a", true)).ino, (await vfs.stat(root, "b", true)).ino);
  await writeFile(vfs, root, "b", "two");
  assert.equal(await readFile(vfs, root, "a"), "two");
  await vfs.unlink(root, "a");
  assert.equal((await vfs.stat(root, "b", true)).nlink, 1n);
  await vfs.mkdir(root, "d");
  await rejectsErrno(vfs.link(root, "d", root, "d2", false), "EPERM");
  await rejectsErrno(vfs.link(root, "b", root, "b", false), "EEXIST");
  await rejectsErrno(vfs.link(root, "b", root, "new/", false), "ENOENT");
  await rejectsErrno(vfs.link(root, "b/", root, "c", false), "ENOTDIR");
  // link without follow links the symlink itself; with follow, its target.
  await vfs.symlink("b", root, "s");
  await vfs.link(root, "s", root, "s2", false);
  assert.equal((await vfs.stat(root, "s2", false)).filetype, FileType.SYMBOLIC_LINK);
  await rejectsErrno(vfs.link(root, "s", root, "s3", true), "EINVAL");
  await rejectsErrno(vfs.link(root, "b", root, "s2/", false), "ENOTDIR");
  // A symlink loop can be linked (not followed).
  await vfs.symlink("loop", root, "loop");
  await vfs.link(root, "loop", root, "loop2", false);
});

test("rename rules", async () => {
  const { vfs, root } = await setup();
  await vfs.mkdir(root, "d1");
  await vfs.mkdir(root, "d2");
  await vfs.mkdir(root, "full");
  await writeFile(vfs, root, "full/x", "x");
  await writeFile(vfs, root, "f1", "1");
  await writeFile(vfs, root, "f2", "2");
  await vfs.rename(root, "f1", root, "f2");
  assert.equal(await readFile(vfs, root, "f2"), "1");
  await rejectsErrno(vfs.stat(root, "f1", true), "ENOENT");
  await rejectsErrno(vfs.rename(root, "f2", root, "d1"), "EISDIR");
  await rejectsErrno(vfs.rename(root, "d1", root, "f2"), "ENOTDIR");
  await rejectsErrno(vfs.rename(root, "d1", root, "full"), "ENOTEMPTY");
  await rejectsErrno(vfs.rename(root, "d1", root, "d1/sub"), "EINVAL");
  await rejectsErrno(vfs.rename(root, "missing", root, "x"), "ENOENT");
  await rejectsErrno(vfs.rename(root, "f2/", root, "x"), "ENOTDIR");
  await rejectsErrno(vfs.rename(root, "f2", root, "x/"), "ENOTDIR");
  await rejectsErrno(vfs.rename(root, ".", root, "x"), "EBUSY");
  await vfs.rename(root, "d1", root, "d2"); // replaces an empty directory
  await rejectsErrno(vfs.stat(root, "d1", true), "ENOENT");
  await vfs.rename(root, "d2", root, "full/inner/");
  assert.equal((await vfs.stat(root, "full/inner", true)).filetype, FileType.DIRECTORY);
  // Hard links of one inode: nothing happens.
  await vfs.link(root, "f2", root, "f3", false);
  await vfs.rename(root, "f2", root, "f3");
  assert.equal((await vfs.stat(root, "f2", true)).nlink, 2n);
  // An open directory keeps a correct ".." after its parent moved.
  await vfs.mkdir(root, "p");
  await vfs.mkdir(root, "p/c");
  const c = await vfs.open(root, "p/c", DIR);
  await vfs.mkdir(root, "q");
  await vfs.rename(root, "p", root, "q/p");
  await writeFile(vfs, root, "q/marker", "m");
  assert.equal(await readFile(vfs, c, "../../marker"), "m");
  assert.equal(c.path, "/p/c");
});

test("readdir includes . and .., cookies are stable, removal mid-iteration skips nothing", async () => {
  const { vfs, root } = await setup();
  await vfs.mkdir(root, "d");
  for (let i = 0; i < 10; i++) await writeFile(vfs, root, `d/f${i}`, "");
  const d = await vfs.open(root, "d", DIR);
  const first = await d.readdir(0n);
  assert.deepEqual(first.slice(0, 2).map((e) => e.name), [".", ".."]);
  assert.equal(first.length, 12);
  // Resume from the cookie of the 5th entry, after removing entries already seen and one ahead.
  const seen = first.slice(0, 5).map((e) => e.name);
  await vfs.unlink(root, `d/${seen[3]}`);
  await vfs.unlink(root, `d/${seen[4]}`);
  await vfs.unlink(root, "d/f9");
  const rest = await d.readdir(first[4]!.next);
  assert.deepEqual(rest.map((e) => e.name), first.slice(5).map((e) => e.name));
  // Same cookie twice: same answer.
  assert.deepEqual(await d.readdir(first[4]!.next), rest);
  // Rewind: a fresh listing.
  const again = await d.readdir(0n);
  assert.equal(again.length, 9);
  assert.equal(again[1]!.ino, (await vfs.stat(root, ".", true)).ino);
});

test("unlinked-but-open files stay readable and writable", async () => {
  const { vfs, root } = await setup();
  await writeFile(vfs, root, "tmp", "keep me");
  const f = await vfs.open(root, "tmp", WR);
  await vfs.unlink(root, "tmp");
  await rejectsErrno(vfs.stat(root, "tmp", true), "ENOENT");
  assert.equal(await readAll(f), "keep me");
  assert.equal(await f.write([new TextEncoder().encode("!")]), 1);
  assert.equal((await f.stat()).size, 8n);
  assert.equal((await f.stat()).nlink, 0n);
  await f.release();
});

test("offsets, seek, append, pread/pwrite, setSize", async () => {
  const { vfs, root } = await setup();
  const f = await vfs.open(root, "f", CREAT);
  await f.write([new TextEncoder().encode("hello "), new TextEncoder().encode("world")]);
  assert.equal(await f.tell(), 11n);
  assert.equal(await f.seek(-5n, Whence.END), 6n);
  const b = new Uint8Array(5);
  assert.equal(await f.read([b]), 5);
  assert.equal(new TextDecoder().decode(b), "world");
  await rejectsErrno(async () => f.seek(-1n, Whence.SET), "EINVAL");
  await rejectsErrno(async () => f.seek(0n, 7), "EINVAL");
  assert.equal(await f.pwrite([new TextEncoder().encode("J")], 0n), 1);
  const p = new Uint8Array(3);
  assert.equal(await f.pread([p], 0n), 3);
  assert.equal(new TextDecoder().decode(p), "Jel");
  assert.equal(await f.tell(), 11n);
  await f.seek(20n, Whence.SET);
  await f.write([new Uint8Array([1])]);
  assert.equal((await f.stat()).size, 21n);
  await f.setSize(2n);
  assert.equal((await f.stat()).size, 2n);
  const a = await vfs.open(root, "f", opts({ write: true, fdflags: FdFlags.APPEND }));
  await a.write([new TextEncoder().encode("Z")]);
  assert.equal(await readFile(vfs, root, "f"), "JeZ");
  // pwrite on an O_APPEND description appends (Linux, wasmtime).
  await a.pwrite([new TextEncoder().encode("!")], 0n);
  assert.equal(await readFile(vfs, root, "f"), "JeZ!");
  // An empty pwrite past the end changes nothing.
  assert.equal(await f.pwrite([new Uint8Array(0)], 50n), 0);
  assert.equal((await f.stat()).size, 4n);
  await rejectsErrno(async () => f.allocate(0n, 100n), "ENOTSUP");
});

test("timestamps: creation sets all, writes move mtime, setTimes honours fstflags", async () => {
  const { vfs, root } = await setup();
  await writeFile(vfs, root, "f", "x");
  await vfs.setTimes(root, "f", true, 1_000n, 2_000n, FstFlags.ATIM | FstFlags.MTIM);
  let st = await vfs.stat(root, "f", true);
  assert.equal(st.atim, 1_000n);
  assert.equal(st.mtim, 2_000n);
  assert.ok(st.ctim > 2_000n);
  await vfs.setTimes(root, "f", true, 0n, 0n, FstFlags.MTIM_NOW);
  st = await vfs.stat(root, "f", true);
  assert.equal(st.atim, 1_000n);
  assert.ok(st.mtim > 2_000n);
  await rejectsErrno(vfs.setTimes(root, "f", true, 0n, 0n, FstFlags.ATIM | FstFlags.ATIM_NOW), "EINVAL");
  await vfs.setTimes(root, ".", true, 5n, 5n, FstFlags.ATIM | FstFlags.MTIM);
  await writeFile(vfs, root, "g", "y");
  assert.ok((await vfs.stat(root, ".", true)).mtim > 5n, "creating an entry moves the directory's mtime");
});

test("mounts: crossing into a mounted fs and back through ..; EXDEV; EBUSY", async () => {
  const { core, vfs, root } = await setup();
  await writeFile(vfs, root, "top", "t");
  await core.mount("/mnt/inner", new RamFs());
  await writeFile(vfs, root, "mnt/inner/x", "in");
  assert.equal(await readFile(vfs, root, "mnt/inner/../../top"), "t");
  const inner = await vfs.open(root, "mnt/inner", DIR);
  assert.equal(await readFile(vfs, inner, "../../top"), "t");
  assert.deepEqual(await names(inner), [".", "..", "x"]);
  assert.notEqual((await vfs.stat(root, "mnt/inner", true)).dev, (await vfs.stat(root, "top", true)).dev);
  await rejectsErrno(vfs.rename(root, "top", root, "mnt/inner/top"), "EXDEV");
  await rejectsErrno(vfs.link(root, "top", root, "mnt/inner/top", false), "EXDEV");
  await rejectsErrno(vfs.rmdir(root, "mnt/inner"), "EBUSY");
  await vfs.symlink("/top", root, "mnt/inner/abs");
  assert.equal(await readFile(vfs, root, "mnt/inner/abs"), "t");
  assert.deepEqual(core.mounts().map((m) => m.target), ["/", "/mnt/inner"]);
});

test("read-only mounts refuse changes with EROFS", async () => {
  const { core, vfs, root } = await setup();
  const ro = new RamFs();
  ro.rootInode.create("f", "file", 0o644);
  await core.mount("/ro", ro, { readOnly: true });
  await rejectsErrno(vfs.open(root, "ro/f", WR), "EROFS");
  await rejectsErrno(vfs.open(root, "ro/new", CREAT), "EROFS");
  await rejectsErrno(vfs.mkdir(root, "ro/d"), "EROFS");
  await rejectsErrno(vfs.mkdir(root, "ro/f"), "EEXIST");
  await rejectsErrno(vfs.unlink(root, "ro/f"), "EROFS");
  await rejectsErrno(vfs.setTimes(root, "ro/f", true, 0n, 0n, FstFlags.ATIM_NOW), "EROFS");
  await (await vfs.open(root, "ro/f", RD)).release();
});

test("ramfs byte budget: refused growth is ENOSPC, frees are refunded", async () => {
  let used = 0;
  const fs = new RamFs({ budget: (d) => (used + d > 10_000 ? false : ((used += d), true)) });
  const core = await VfsCore.create(fs);
  const vfs = core.forProcess(1);
  const root = await vfs.openRoot();
  await writeFile(vfs, root, "a", new Uint8Array(6000));
  await rejectsErrno(writeFile(vfs, root, "b", new Uint8Array(6000)), "ENOSPC");
  await vfs.unlink(root, "a");
  assert.equal(used, 0);
  await writeFile(vfs, root, "b", new Uint8Array(6000));
  assert.ok(used >= 6000);
});
