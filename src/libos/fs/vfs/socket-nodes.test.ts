/**
 * Socket inodes through the VFS (socket-nodes.ts) on ramfs and on hostfs: mksock makes a file that
 * stat reports as a socket, open refuses (ENXIO), readdir lists as UNKNOWN; the mark survives
 * while a hard link remains and goes with the last name (unlink, or a rename over it).
 */
import assert from "node:assert/strict";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { RamFs } from "../ramfs/ramfs.ts";
import { HostFs } from "../hostfs/hostfs.ts";
import { FileType } from "../types.ts";
import { DIR, RD, rejectsErrno, writeFile } from "../testing/helpers.ts";
import { VfsCore } from "./vfs.ts";

const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "socket-nodes-test-"));
after(() => fsp.rm(tmp, { recursive: true, force: true }));

async function entries(vfs: ReturnType<VfsCore["forProcess"]>, root: Awaited<ReturnType<ReturnType<VfsCore["forProcess"]>["openRoot"]>>, dir: string) {
  const d = await vfs.open(root, dir, DIR);
  const out = new Map((await d.readdir(0n)).map((e) => [e.name, e.filetype]));
  await d.release();
  return out;
}

for (const kind of ["ramfs", "hostfs"] as const) {
  test(`socket inodes on ${kind}`, async () => {
    const core = await VfsCore.create(new RamFs());
    let dir = "d";
    if (kind === "hostfs") {
      const src = await fsp.mkdtemp(path.join(tmp, "src-"));
      await core.mount("/h", await HostFs.open(src));
      dir = "h";
    } else {
      await core.forProcess(1).mkdir(await core.forProcess(1).openRoot(), "d");
    }
    const vfs = core.forProcess(1);
    const root = await vfs.openRoot();
    const st = await vfs.mksock(root, `${dir}/s`, FileType.SOCKET_STREAM);
    assert.equal(st.filetype, FileType.SOCKET_STREAM);
    assert.equal((await vfs.stat(root, `${dir}/s`, false)).filetype, FileType.SOCKET_STREAM);
    assert.equal((await vfs.stat(root, `${dir}/s`, true)).ino, st.ino);
    await rejectsErrno(vfs.mksock(root, `${dir}/s`, FileType.SOCKET_DGRAM), "EEXIST");
    await rejectsErrno(vfs.open(root, `${dir}/s`, RD), "ENXIO");
    await writeFile(vfs, root, `${dir}/plain`, "x");
    await rejectsErrno(vfs.mksock(root, `${dir}/plain`, FileType.SOCKET_DGRAM), "EEXIST");
    await rejectsErrno(vfs.mksock(root, `${dir}/missing/s`, FileType.SOCKET_DGRAM), "ENOENT");
    const listed = await entries(vfs, root, dir);
    assert.equal(listed.get("s"), FileType.UNKNOWN);
    assert.equal(listed.get("plain"), FileType.REGULAR_FILE);
    // A second name keeps the inode a socket after the first goes; the last one takes the mark.
    await vfs.link(root, `${dir}/s`, root, `${dir}/s2`, false);
    await vfs.unlink(root, `${dir}/s`);
    assert.equal((await vfs.stat(root, `${dir}/s2`, false)).filetype, FileType.SOCKET_STREAM);
    await vfs.unlink(root, `${dir}/s2`);
    await rejectsErrno(vfs.stat(root, `${dir}/s2`, false), "ENOENT");
    // A regular file renamed over a socket file is a regular file.
    await vfs.mksock(root, `${dir}/t`, FileType.SOCKET_DGRAM);
    assert.equal((await vfs.stat(root, `${dir}/t`, false)).filetype, FileType.SOCKET_DGRAM);
    await vfs.rename(root, `${dir}/plain`, root, `${dir}/t`);
    assert.equal((await vfs.stat(root, `${dir}/t`, false)).filetype, FileType.REGULAR_FILE);
    const f = await vfs.open(root, `${dir}/t`, RD);
    await f.release();
    await root.release();
    await core.close();
  });
}
