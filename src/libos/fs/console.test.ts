import { test } from "node:test";
import assert from "node:assert/strict";
import { PassThrough, Writable } from "node:stream";
import { ConsoleInput, ConsoleOutput } from "./console.ts";
import { EAGAIN_ERROR } from "../syscall/errno.ts";
import { Ready } from "./types.ts";

function read(f: ConsoleInput, n = 64): string {
  const buf = new Uint8Array(n);
  const k = f.read([buf]);
  return new TextDecoder().decode(buf.subarray(0, k));
}

test("stdin: EAGAIN while empty, data once it arrives (waking waiters), 0 at EOF", async () => {
  const src = new PassThrough();
  const f = new ConsoleInput(src);
  assert.throws(() => read(f), (e) => e === EAGAIN_ERROR);
  assert.equal(f.poll() & Ready.IN, 0);
  const woken = f.waitQueue.wait();
  src.write("abc");
  assert.equal(await woken, "woken");
  assert.equal(f.poll() & Ready.IN, Ready.IN);
  assert.equal(read(f, 2), "ab");
  assert.equal(read(f), "c");
  src.end();
  await f.waitQueue.wait();
  assert.equal(read(f), "");
  assert.ok(f.poll() & Ready.HUP);
  f.release();
});

test("stdin from fixed bytes: the bytes, then EOF; untouched streams are never read", () => {
  const f = new ConsoleInput("hi\n");
  assert.equal(read(f), "hi\n");
  assert.equal(read(f), "");
  const src = new PassThrough();
  const g = new ConsoleInput(src);
  g.release();
  assert.equal(src.listenerCount("data"), 0);
});

test("stdout: bytes are copied out; back-pressure turns into EAGAIN until drain", async () => {
  const chunks: string[] = [];
  let pending: (() => void) | undefined;
  const sink = new Writable({
    highWaterMark: 4,
    write(chunk: Buffer, _e, cb) {
      chunks.push(chunk.toString());
      pending = cb;
    },
  });
  const f = new ConsoleOutput(sink, "/dev/stdout");
  const data = new TextEncoder().encode("hello");
  assert.equal(f.write([data]), 5);
  data.fill(0); // the guest reuses its buffer: what was written must not change
  assert.throws(() => f.write([new Uint8Array(1)]), (e) => e === EAGAIN_ERROR);
  assert.equal(f.poll() & Ready.OUT, 0);
  const woken = f.waitQueue.wait();
  pending!();
  assert.equal(await woken, "woken");
  assert.equal(f.poll() & Ready.OUT, Ready.OUT);
  assert.deepEqual(chunks, ["hello"]);
  f.release();
});
