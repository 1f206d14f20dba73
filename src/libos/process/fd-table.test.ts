import { test } from "node:test";
import assert from "node:assert/strict";
import { FdTable, ROOT_DIRFD } from "./fd-table.ts";
import { fileRefCount } from "./file-refs.ts";
import { FileBase } from "../fs/file-base.ts";
import { FileType } from "../fs/types.ts";
import { Errno, SysError } from "../syscall/errno.ts";
import { Rights } from "../syscall/abi.ts";

class Counted extends FileBase {
  released = 0;
  constructor() {
    super(FileType.REGULAR_FILE, { readable: true });
  }
  override release(): void {
    this.released++;
  }
}

const errno = (e: number) => (err: unknown) => err instanceof SysError && err.errno === e;

test("new fds take the lowest free number", () => {
  const t = new FdTable();
  const f = new Counted();
  assert.equal(t.insert(f, 0, 0), 0);
  assert.equal(t.insert(f, 0, 0), 1);
  assert.equal(t.insert(f, 0, 0), 2);
  t.close(1);
  assert.equal(t.insert(f, 0, 0), 1);
  assert.equal(t.insert(f, 0, 0, { min: 10 }), 10);
  assert.deepEqual(t.list(), [0, 1, 2, 10]);
});

test("dup shares the description; release happens on the last close only", () => {
  const t = new FdTable();
  const f = new Counted();
  const a = t.insert(f, Rights.FD_READ, 0);
  const b = t.dup(a);
  assert.equal(t.get(b).file, f);
  assert.equal(fileRefCount(f), 2);
  t.close(a);
  assert.equal(f.released, 0);
  t.close(b);
  assert.equal(f.released, 1);
  assert.throws(() => t.close(b), errno(Errno.BADF));
});

test("rights are checked where the fd is resolved: missing → ENOTCAPABLE, unknown fd → EBADF", () => {
  const t = new FdTable();
  const fd = t.insert(new Counted(), Rights.FD_READ, 0);
  assert.equal(t.get(fd, Rights.FD_READ).base, Rights.FD_READ);
  assert.throws(() => t.get(fd, Rights.FD_SEEK), errno(Errno.NOTCAPABLE));
  // writing a description not opened for writing is EBADF (Linux, wasmtime)
  assert.throws(() => t.get(fd, Rights.FD_WRITE), errno(Errno.BADF));
  assert.throws(() => t.get(fd + 1), errno(Errno.BADF));
});

test("renumber replaces the target, releasing its description, and frees the source", () => {
  const t = new FdTable();
  const f = new Counted();
  const g = new Counted();
  const a = t.insert(f, 0, 0);
  const b = t.insert(g, 0, 0);
  t.renumber(a, b);
  assert.equal(g.released, 1);
  assert.equal(t.get(b).file, f);
  assert.equal(t.has(a), false);
  assert.throws(() => t.renumber(a, b), errno(Errno.BADF));
});

test("closeAll releases everything", async () => {
  const t = new FdTable();
  const files = [new Counted(), new Counted()];
  for (const f of files) t.insert(f, 0, 0);
  await t.closeAll();
  assert.deepEqual(files.map((f) => f.released), [1, 1]);
  assert.deepEqual(t.list(), []);
});

test("the root leaves the fd numbers for ROOT_DIRFD, is inherited, comes back as a preopen for a WASI program, and is released at the end", async () => {
  const t = new FdTable();
  const stdio = new Counted();
  const root = new Counted();
  for (let i = 0; i < 3; i++) t.insert(stdio, 0, 0);
  assert.equal(t.insert(root, Rights.FD_READ, Rights.FD_READ, { preopen: "/" }), 3);
  t.hideRoot();
  assert.equal(t.has(3), false);
  assert.deepEqual(t.list(), [0, 1, 2]);
  assert.equal(t.get(ROOT_DIRFD).file, root);
  assert.equal(t.get(ROOT_DIRFD).preopen, "/");
  assert.equal(t.insert(new Counted(), 0, 0), 3); // the program's first open is 3, as on Linux
  const child = new FdTable();
  child.inheritFrom(t);
  assert.equal(child.get(ROOT_DIRFD).file, root);
  assert.equal(fileRefCount(root), 2);
  child.exposeRoot(); // a plain WASI program: its root as a preopen at the lowest free fd
  assert.equal(child.get(4).preopen, "/");
  assert.equal(child.get(4).file, root);
  await child.closeAll();
  assert.equal(root.released, 0);
  await t.closeAll();
  assert.equal(root.released, 1);
  assert.throws(() => t.get(ROOT_DIRFD), errno(Errno.BADF));
});
