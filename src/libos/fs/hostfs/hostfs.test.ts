import assert from "node:assert/strict";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { RamFs } from "../ramfs/ramfs.ts";
import { FileType } from "../types.ts";
import { CREAT, DIR, RD, WR, names, readAll, readFile, rejectsErrno, writeFile } from "../testing/helpers.ts";
import { VfsCore } from "../vfs/vfs.ts";
import { HostFs, HostInode } from "./hostfs.ts";

const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "hostfs-test-"));
after(() => fsp.rm(tmp, { recursive: true, force: true }));

async function setup(name: string) {
  const base = path.join(tmp, name);
  const src = path.join(base, "src");
  const outside = path.join(base, "outside");
  await fsp.mkdir(src, { recursive: true });
  await fsp.mkdir(outside);
  await fsp.writeFile(path.join(outside, "secret"), "SECRET");
  await fsp.writeFile(path.join(src, "file"), "inside");
  await fsp.mkdir(path.join(src, "d"));
  await fsp.writeFile(path.join(src, "d", "f"), "df");
  await fsp.symlink("../outside/secret", path.join(src, "rel-out"));
  await fsp.symlink(path.join(outside, "secret"), path.join(src, "abs-out"));
  await fsp.symlink(outside, path.join(src, "abs-dir-out"));
  await fsp.symlink("../../..", path.join(src, "d", "up"));
  const hostfs = await HostFs.open(src);
  const core = await VfsCore.create(new RamFs());
  await core.mount("/host", hostfs);
  const vfs = core.forProcess(1);
  const root = await vfs.openRoot();
  return { base, src, outside, hostfs, core, vfs, root };
}

test("hostfs: ordinary operations", async () => {
  const { vfs, root, src, core } = await setup("ops");
  assert.equal(await readFile(vfs, root, "host/file"), "inside");
  assert.equal(await readFile(vfs, root, "host/d/f"), "df");
  await writeFile(vfs, root, "host/new", "fresh");
  assert.equal(await fsp.readFile(path.join(src, "new"), "utf8"), "fresh");
  await vfs.mkdir(root, "host/sub");
  await writeFile(vfs, root, "host/sub/x", "x");
  await rejectsErrno(vfs.rmdir(root, "host/sub"), "ENOTEMPTY");
  await rejectsErrno(vfs.mkdir(root, "host/sub"), "EEXIST");
  await rejectsErrno(vfs.open(root, "host/file", DIR), "ENOTDIR");
  const d = await vfs.open(root, "host/sub", DIR);
  await vfs.rename(root, "host/sub", root, "host/d/moved");
  assert.equal(await readFile(vfs, d, "x"), "x", "an open directory still works after it moved");
  assert.deepEqual(await names(d), [".", "..", "x"]);
  await vfs.unlink(root, "host/d/moved/x");
  await vfs.rmdir(root, "host/d/moved");
  await vfs.link(root, "host/file", root, "host/hard", false);
  assert.equal((await vfs.stat(root, "host/hard", true)).nlink, 2n);
  const st = await vfs.stat(root, "host/file", true);
  assert.equal(st.filetype, FileType.REGULAR_FILE);
  assert.equal(st.size, 6n);
  assert.equal((await vfs.stat(root, "host/rel-out", false)).filetype, FileType.SYMBOLIC_LINK);
  assert.equal(await vfs.readlink(root, "host/rel-out"), "../outside/secret");
  // Unlinked-but-open.
  const f = await vfs.open(root, "host/new", WR);
  await vfs.unlink(root, "host/new");
  assert.equal(await readAll(f), "fresh");
  await f.release();
  const listing = await names(await vfs.open(root, "host", DIR));
  assert.deepEqual(listing, [".", "..", "abs-dir-out", "abs-out", "d", "file", "hard", "rel-out"]);
  await core.close();
});

test("hostfs escapes: .., relative and absolute symlinks stay inside the LibOS root", async () => {
  const { vfs, root, outside, core } = await setup("escape");
  await writeFile(vfs, root, "outside-in-guest", "guest");
  await rejectsErrno(readFile(vfs, root, "host/rel-out"), "ENOENT");
  await rejectsErrno(readFile(vfs, root, "host/abs-out"), "ENOENT");
  await rejectsErrno(vfs.open(root, "host/abs-dir-out", DIR), "ENOENT");
  await rejectsErrno(readFile(vfs, root, "host/../outside/secret"), "ENOENT");
  assert.equal(await readFile(vfs, root, "host/../../../outside-in-guest"), "guest");
  assert.equal(await readFile(vfs, root, "host/d/up/outside-in-guest"), "guest");
  // Creating through a symlink that points outside creates nothing on the host.
  await rejectsErrno(vfs.open(root, "host/abs-out", CREAT), "ENOENT");
  await vfs.symlink("/outside-in-guest", root, "host/guest-abs");
  assert.equal(await readFile(vfs, root, "host/guest-abs"), "guest");
  // Hard link tricks: linking a symlink links the symlink itself, still interpreted in the guest.
  await vfs.link(root, "host/abs-out", root, "host/hl", false);
  await rejectsErrno(readFile(vfs, root, "host/hl"), "ENOENT");
  await rejectsErrno(vfs.link(root, "host/abs-out", root, "host/hl2", true), "EINVAL");
  await rejectsErrno(vfs.link(root, "outside-in-guest", root, "host/x", false), "EXDEV");
  await rejectsErrno(vfs.rename(root, "host/file", root, "stolen"), "EXDEV");
  assert.equal(await fsp.readFile(path.join(outside, "secret"), "utf8"), "SECRET");
  await core.close();
});

test("hostfs races: a directory swapped for a symlink after lookup is refused", async () => {
  const { src, outside, core } = await setup("race-dir");
  await core.close();
  const fs = await HostFs.open(src);
  const ctx = { pid: 1 };
  const d = (await fs.root().lookup("d", ctx)) as HostInode;
  assert.equal(d.filetype, FileType.DIRECTORY);
  // Fresh fs view of the same inode, so nothing is cached: swap d for a symlink to outside.
  const fs2 = await HostFs.open(src);
  const d2 = new HostInode(fs2, d.ino, FileType.DIRECTORY, [], "d");
  await fsp.rename(path.join(src, "d"), path.join(src, "d.old"));
  await fsp.symlink(outside, path.join(src, "d"));
  // The swapped component is the directory itself: O_DIRECTORY|O_NOFOLLOW refuses it.
  await rejectsErrno(async () => d2.lookup("secret", ctx), "ENOTDIR");
  await rejectsErrno(async () => d2.list(ctx), "ENOTDIR");
  await rejectsErrno(async () => d2.create("planted", "file", 0o644), "ENOTDIR");
  await rejectsErrno(async () => d2.unlink("secret"), "ENOTDIR");
  // The swapped component is an ancestor: the kernel's name for the opened fd gives it away.
  await fsp.mkdir(path.join(outside, "inner"));
  await fsp.writeFile(path.join(outside, "inner", "secret2"), "S2");
  await fsp.mkdir(path.join(src, "d.old", "inner"));
  const inner = new HostInode(fs2, 12345n, FileType.DIRECTORY, ["d"], "inner");
  await rejectsErrno(async () => inner.lookup("secret2", ctx), "EACCES");
  await rejectsErrno(async () => inner.list(ctx), "EACCES");
  await rejectsErrno(async () => inner.create("planted", "file", 0o644), "EACCES");
  await rejectsErrno(async () => inner.unlink("secret2"), "EACCES");
  assert.equal(await fsp.readFile(path.join(outside, "secret"), "utf8"), "SECRET");
  assert.equal(await fsp.readFile(path.join(outside, "inner", "secret2"), "utf8"), "S2");
  await assert.rejects(fsp.stat(path.join(outside, "planted")));
  await assert.rejects(fsp.stat(path.join(outside, "inner", "planted")));
  await fs.close();
  await fs2.close();
});

test("hostfs races: a file swapped for a symlink after lookup is not followed", async () => {
  const { src, outside, core } = await setup("race-file");
  await core.close();
  const fs = await HostFs.open(src);
  const ctx = { pid: 1 };
  const f = (await fs.root().lookup("file", ctx)) as HostInode;
  await fsp.unlink(path.join(src, "file"));
  await fsp.symlink(path.join(outside, "secret"), path.join(src, "file"));
  await rejectsErrno(async () => f.open({ read: true, write: true, fdflags: 0, truncate: true, path: "/file" }, ctx), "ELOOP");
  // lstat-based: stat shows the symlink, not the secret.
  assert.equal((await f.stat()).filetype, FileType.SYMBOLIC_LINK);
  assert.equal(await fsp.readFile(path.join(outside, "secret"), "utf8"), "SECRET");
  // A FIFO swapped in does not block the open.
  await fsp.unlink(path.join(src, "file"));
  const { execFileSync } = await import("node:child_process");
  execFileSync("mkfifo", [path.join(src, "file")]);
  await rejectsErrno(async () => f.open({ read: true, write: false, fdflags: 0, truncate: false, path: "/file" }, ctx), "ENXIO");
  await fs.close();
});

test("hostfs: a read-only mount", async () => {
  const { src, core: c0 } = await setup("ro");
  await c0.close();
  const core = await VfsCore.create(new RamFs());
  await core.mount("/h", await HostFs.open(src, { readOnly: true }));
  const vfs = core.forProcess(1);
  const root = await vfs.openRoot();
  assert.equal(await readFile(vfs, root, "h/file"), "inside");
  await rejectsErrno(vfs.open(root, "h/file", WR), "EROFS");
  await rejectsErrno(vfs.unlink(root, "h/file"), "EROFS");
  await (await vfs.open(root, "h/d", RD)).release();
  await core.close();
});

test("hostfs: source must be an existing directory", async () => {
  await rejectsErrno(HostFs.open(path.join(tmp, "does-not-exist")), "ENOENT");
  await fsp.writeFile(path.join(tmp, "plain"), "");
  await rejectsErrno(HostFs.open(path.join(tmp, "plain")), "ENOTDIR");
});

test("hostfs exclusive (layer stores): cached lookups stay exact under our own changes", async () => {
  const dir = path.join(tmp, "exclusive");
  await fsp.mkdir(dir);
  const fs = await HostFs.open(dir, { exclusive: true });
  const core = await VfsCore.create(fs);
  const vfs = core.forProcess(1);
  const root = await vfs.openRoot();
  await rejectsErrno(vfs.stat(root, "a", true), "ENOENT"); // caches the absence
  await writeFile(vfs, root, "a", "1");
  assert.equal(await readFile(vfs, root, "a"), "1");
  await vfs.rename(root, "a", root, "b");
  await rejectsErrno(vfs.stat(root, "a", true), "ENOENT");
  assert.equal(await readFile(vfs, root, "b"), "1");
  await vfs.mkdir(root, "d");
  await writeFile(vfs, root, "d/x", "x");
  await vfs.unlink(root, "d/x");
  await vfs.rmdir(root, "d");
  await rejectsErrno(vfs.stat(root, "d", true), "ENOENT");
  await vfs.symlink("b", root, "s");
  assert.equal(await readFile(vfs, root, "s"), "1");
  // The cache answers without the host: a change behind our back is not seen (by design).
  await fsp.writeFile(path.join(dir, "behind"), "");
  await rejectsErrno(vfs.stat(root, "a", true), "ENOENT");
  await fsp.writeFile(path.join(dir, "a"), "host");
  await rejectsErrno(vfs.stat(root, "a", true), "ENOENT");
  await core.close();
});
