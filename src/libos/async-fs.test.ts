import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { constants as C, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { bootCallsActive, lstat, open, readdir, readlink, realpath, startBootCalls, stat } from "./async-fs.ts";

/** fs requests waiting for libuv's thread pool right now (none when a call was made synchronously). */
const poolRequests = (): number => process.getActiveResourcesInfo().filter((r) => r === "FSReqCallback").length;

test("boot calls: metadata calls and O_NONBLOCK / O_DIRECTORY descriptors are synchronous until ended", { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "occlum-ts-bootcalls-"));
  try {
    const file = path.join(dir, "f");
    writeFileSync(file, "contents");
    const end = startBootCalls();
    assert.equal(bootCallsActive(), true);
    try {
      const before = poolRequests();
      const st = stat(file, { bigint: true });
      const names = readdir(dir);
      const real = realpath(dir);
      assert.equal(poolRequests(), before, "no thread-pool request");
      unlinkSync(file); // made before the unlink: a synchronous stat saw the file
      assert.equal((await st).size, 8n);
      assert.deepEqual(await names, ["f"]);
      assert.equal(await real, dir);
      await assert.rejects(lstat(file, { bigint: true }), { code: "ENOENT" });
      await assert.rejects(readlink(path.join(dir, "none")), { code: "ENOENT" });

      writeFileSync(file, "0123456789");
      const fh = await open(file, C.O_RDONLY | C.O_NONBLOCK);
      const buf = new Uint8Array(4);
      const read = fh.read(buf, 0, 4, 3);
      assert.equal(poolRequests(), before);
      assert.equal((await read).bytesRead, 4);
      assert.equal(Buffer.from(buf).toString(), "3456");
      assert.equal((await fh.stat({ bigint: true })).size, 10n);
      await fh.close();
      await assert.rejects(fh.read(buf, 0, 1, 0), { code: "EBADF" });
      const dh = await open(dir, C.O_RDONLY | C.O_DIRECTORY);
      assert.ok((await dh.stat({ bigint: true })).isDirectory());
      await dh.close();

      // A FIFO opened without O_NONBLOCK waits for its writer: that open stays on the pool.
      const fifo = path.join(dir, "fifo");
      execFileSync("mkfifo", [fifo]);
      const writer = spawn("sh", ["-c", `printf hi > '${fifo}'`]);
      const exited = new Promise((resolve) => writer.on("exit", resolve));
      const opening = open(fifo, C.O_RDONLY);
      assert.equal(poolRequests(), before + 1, "the FIFO's open went to the pool");
      const rh = await opening;
      const two = new Uint8Array(2);
      assert.equal((await rh.read(two, 0, 2, null)).bytesRead, 2);
      assert.equal(Buffer.from(two).toString(), "hi");
      await rh.close();
      await exited;
    } finally {
      end();
      end(); // idempotent
    }
    assert.equal(bootCallsActive(), false);
    const before = poolRequests();
    const later = stat(dir, { bigint: true });
    assert.equal(poolRequests(), before + 1, "after the boot: through the pool again");
    assert.ok((await later).isDirectory());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("boot calls: nested boot phases, synchronous until the last one ends", () => {
  const a = startBootCalls();
  const b = startBootCalls();
  a();
  a();
  assert.equal(bootCallsActive(), true);
  b();
  assert.equal(bootCallsActive(), false);
});
