import { test } from "node:test";
import assert from "node:assert/strict";
import { createPipe, PIPE_BUF } from "./pipe.ts";
import { ByteBudget } from "./byte-ring.ts";
import { FdFlags, FileType, Ready } from "../fs/types.ts";
import { EAGAIN_ERROR, Errno, SysError } from "../syscall/errno.ts";

const isErrno = (errno: number) => (e: unknown) => e instanceof SysError && e.errno === errno;

test("read returns what is there, EAGAIN when empty, EOF after the last writer", () => {
  const { reader, writer } = createPipe();
  assert.throws(() => reader.read([new Uint8Array(10)]), (e: unknown) => e === EAGAIN_ERROR);
  assert.equal(writer.write([new TextEncoder().encode("hello")]), 5);
  const buf = new Uint8Array(100);
  assert.equal(reader.read([buf]), 5, "partial read");
  assert.equal(new TextDecoder().decode(buf.subarray(0, 5)), "hello");
  writer.write([new Uint8Array([1, 2])]);
  writer.release();
  assert.equal(reader.read([buf]), 2, "data before EOF");
  assert.equal(reader.read([buf]), 0, "EOF");
  assert.equal(reader.poll() & Ready.HUP, Ready.HUP);
});

test("EPIPE and the SIGPIPE hook when no reader is left", () => {
  let sigpipes = 0;
  const { reader, writer } = createPipe({ onSigpipe: () => sigpipes++ });
  reader.release();
  assert.equal(writer.poll(), Ready.OUT | Ready.ERR);
  assert.throws(() => writer.write([new Uint8Array(1)]), isErrno(Errno.PIPE));
  assert.equal(sigpipes, 1);
  assert.equal(writer.write([new Uint8Array(0)]), 0, "an empty write succeeds even then");
});

test("writes up to PIPE_BUF are atomic; larger ones are partial; EAGAIN when full", () => {
  const { reader, writer } = createPipe({ capacity: 16384 });
  assert.equal(writer.write([new Uint8Array(16384 - 100)]), 16384 - 100);
  assert.throws(() => writer.write([new Uint8Array(PIPE_BUF)]), (e: unknown) => e === EAGAIN_ERROR, "no room for all of it");
  assert.equal(writer.write([new Uint8Array(50)]), 50, "a small write that fits");
  assert.equal(writer.write([new Uint8Array(PIPE_BUF + 1)]), 50, "a large write is partial");
  assert.throws(() => writer.write([new Uint8Array(PIPE_BUF + 1)]), (e: unknown) => e === EAGAIN_ERROR);
  assert.equal(writer.poll() & Ready.OUT, 0);
  reader.read([new Uint8Array(PIPE_BUF)]);
  assert.equal(writer.poll() & Ready.OUT, Ready.OUT);
  assert.equal(writer.write([new Uint8Array(PIPE_BUF)]), PIPE_BUF);
});

test("poll bits follow Linux: IN with data, HUP without writers, OUT with room, ERR without readers", () => {
  const { reader, writer } = createPipe();
  assert.equal(reader.poll(), 0);
  assert.equal(writer.poll(), Ready.OUT);
  writer.write([new Uint8Array(1)]);
  assert.equal(reader.poll(), Ready.IN);
  writer.release();
  assert.equal(reader.poll(), Ready.IN | Ready.HUP);
  assert.equal(reader.stat().filetype, FileType.UNKNOWN);
});

test("the other side's wait queue wakes on data, room and release", async () => {
  const { reader, writer } = createPipe({ capacity: 8192, flags: FdFlags.NONBLOCK });
  assert.equal(reader.flags & FdFlags.NONBLOCK, FdFlags.NONBLOCK);
  const readerWoken = reader.waitQueue.wait();
  writer.write([new Uint8Array(3)]);
  assert.equal(await readerWoken, "woken");
  writer.write([new Uint8Array(8189)]);
  const writerWoken = writer.waitQueue.wait();
  reader.read([new Uint8Array(PIPE_BUF)]);
  assert.equal(await writerWoken, "woken");
  const onClose = writer.waitQueue.wait();
  reader.release();
  assert.equal(await onClose, "woken");
  assert.throws(() => writer.write([new Uint8Array(1)]), isErrno(Errno.PIPE));
  const eofWake = reader.waitQueue.wait();
  writer.release();
  assert.equal(await eofWake, "woken");
});

test("both ends share an inode; the ring's memory is charged and returned", () => {
  const budget = new ByteBudget(1 << 20);
  const { reader, writer } = createPipe({ mem: budget });
  assert.equal(reader.stat().ino, writer.stat().ino);
  writer.write([new Uint8Array(10000)]);
  assert.ok(budget.used >= 10000);
  reader.release();
  writer.release();
  assert.equal(budget.used, 0);
});

test("a refused budget keeps small writes atomic", () => {
  const budget = new ByteBudget(4096);
  const { writer } = createPipe({ mem: budget });
  assert.equal(writer.write([new Uint8Array(4000)]), 4000);
  assert.throws(() => writer.write([new Uint8Array(200)]), (e: unknown) => e === EAGAIN_ERROR, "only 96 bytes fit: nothing is written");
  assert.equal(writer.write([new Uint8Array(96)]), 96);
  assert.throws(() => writer.write([new Uint8Array(1)]), isErrno(Errno.NOMEM));
});
