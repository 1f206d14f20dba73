/**
 * /dev/mqueue through the VFS, over a kernel's namespace (ipc/mqueue-fs.ts): what a guest cannot
 * see through its libc's stat (permission bits: WASI's filestat has none), and the fs unbound.
 * The guest-level behaviour is test/guest/threads/conform_mqueuefs.c.
 */
import assert from "node:assert/strict";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import type { Kernel } from "../../kernel.ts";
import { kernelMqNamespace, mqueueFsSource } from "../../ipc/mqueue-fs.ts";
import { FILENT_SIZE, MqFile } from "../../ipc/mqueue.ts";
import { createVfs } from "../mounts.ts";
import { CREAT, DIR, RD, names, readAll, rejectsErrno } from "../testing/helpers.ts";
import { FileType, OFlags } from "../types.ts";

const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "mqueuefs-test-"));
after(() => fsp.rm(tmp, { recursive: true, force: true }));

/** A kernel as the adapter sees it: no memory manager, no process known (default RLIMIT_MSGQUEUE). */
const fakeKernel = (): Kernel => ({ processes: { get: () => undefined } }) as unknown as Kernel;

async function mounted() {
  const vfs = await createVfs([{ type: "devfs", target: "/dev" }], { instanceDir: tmp });
  const v = vfs.forProcess(1);
  return { vfs, v, root: await v.openRoot() };
}

test("mqueuefs unbound: an empty directory that refuses queues", async () => {
  const { vfs, v, root } = await mounted();
  assert.deepEqual(vfs.mounts().filter((m) => m.target === "/dev/mqueue").map((m) => m.type), ["mqueue"]);
  assert.deepEqual(await names(await v.open(root, "dev/mqueue", DIR)), [".", ".."]);
  await rejectsErrno(v.open(root, "dev/mqueue/q", CREAT), "EPERM");
  await vfs.close();
});

test("mqueuefs: modes, sizes, listing, create and unlink over the kernel's namespace", async () => {
  const { vfs, v, root } = await mounted();
  const k = fakeKernel();
  vfs.bindMqueue(mqueueFsSource(k));
  const ns = kernelMqNamespace(k);
  const dir = await v.stat(root, "dev/mqueue", true);
  assert.equal(dir.filetype, FileType.DIRECTORY);
  assert.equal(dir.mode, 0o1777);

  const a = ns.open("a", true, false, 0o640, { maxmsg: 4, msgsize: 16 }, 819200n);
  ns.open("b", true, false, 0o100600, undefined, 819200n);
  assert.deepEqual(await names(await v.open(root, "dev/mqueue", DIR)), [".", "..", "a", "b"]);
  const st = await v.stat(root, "dev/mqueue/a", true);
  assert.deepEqual([st.filetype, st.mode, st.size, st.nlink], [FileType.REGULAR_FILE, 0o640, BigInt(FILENT_SIZE), 1n]);
  assert.equal((await v.stat(root, "dev/mqueue/b", true)).mode, 0o600);
  // The same inode each lookup (the dentry cache keeps it), distinct per queue.
  assert.equal((await v.stat(root, "dev/mqueue/a", true)).ino, st.ino);
  assert.notEqual((await v.stat(root, "dev/mqueue/b", true)).ino, st.ino);

  // open(2) gives a descriptor of the queue, whose read is the status line; no registration.
  const f = await v.open(root, "dev/mqueue/a", RD);
  assert.ok(f instanceof MqFile && f.queue === a);
  assert.match(await readAll(f), /^QSIZE:0 +NOTIFY:0 +SIGNO:0 +NOTIFY_PID:0 +\n$/);
  assert.equal(a.curmsgs, 0);

  // open(O_CREAT): the default attributes and the mode given.
  const c = await v.open(root, "dev/mqueue/c", { ...CREAT, mode: 0o604 });
  assert.ok(c instanceof MqFile);
  assert.deepEqual([c.queue.maxmsg, c.queue.msgsize, c.queue.mode], [10, 8192, 0o604]);
  assert.equal(ns.lookup("c"), c.queue);
  await rejectsErrno(v.open(root, "dev/mqueue/c", { ...CREAT, oflags: OFlags.CREAT | OFlags.EXCL }), "EEXIST");

  // unlink is mq_unlink; the open descriptor keeps the queue.
  await v.unlink(root, "dev/mqueue/a");
  assert.equal(ns.lookup("a"), undefined);
  await rejectsErrno(v.stat(root, "dev/mqueue/a", true), "ENOENT");
  assert.equal((await f.stat()).nlink, 0n);
  await f.release();
  await c.release();

  await rejectsErrno(v.mkdir(root, "dev/mqueue/d"), "EPERM");
  await rejectsErrno(v.rename(root, "dev/mqueue/b", root, "dev/mqueue/e"), "EPERM");
  await rejectsErrno(v.link(root, "dev/mqueue/b", root, "dev/mqueue/l", false), "EPERM");
  await rejectsErrno(v.symlink("/dev/mqueue/b", root, "dev/mqueue/s"), "EPERM");
  await rejectsErrno(v.rmdir(root, "dev/mqueue/b"), "ENOTDIR");
  assert.deepEqual(await names(await v.open(root, "dev/mqueue", DIR)), [".", "..", "b", "c"]);
  await vfs.close();
});
