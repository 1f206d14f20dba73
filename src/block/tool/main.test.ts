import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { BlockError, BLOCK_SIZE } from "../block-device.ts";
import { MemDisk } from "../mem-disk.ts";
import { Rng } from "../testing/rng.ts";
import { dataPhysical } from "../pfs/layout.ts";
import { openImage } from "./devices.ts";
import { runPhase, STANDARD_PHASES } from "./fio.ts";
import { parseArgs, parseSize, runTool } from "./main.ts";

const KEY = "00112233445566778899aabbccddeeff";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), "occlum-disk-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function run(argv: string[]): Promise<{ code: number; out: Record<string, unknown> }> {
  const lines: string[] = [];
  const code = await runTool([...argv, "--json"], (t) => lines.push(t));
  return { code, out: JSON.parse(lines.join("\n")) as Record<string, unknown> };
}

test("argument parsing: sizes, flags, usage errors", () => {
  assert.equal(parseSize("64M"), 64 << 20);
  assert.equal(parseSize("1G"), 1 << 30);
  assert.equal(parseSize("4096"), 4096);
  assert.equal(parseSize("1.5k"), 1536);
  assert.throws(() => parseSize("lots"), BlockError);
  const a = parseArgs(["format", "x.img", "--type", "pfs", "--size=8M"]);
  assert.equal(a.flags.get("type"), "pfs");
  assert.equal(a.flags.get("size"), "8M");
  assert.throws(() => parseArgs(["format"]), /usage/);
  assert.throws(() => parseArgs(["format", "x", "--type"]), /needs a value/);
});

test("format, inspect and check a PFS image; a flipped data node fails the check", () =>
  withDir(async (dir) => {
    const img = path.join(dir, "p.img");
    assert.equal((await run(["format", img, "--type", "pfs", "--size", "2M", "--key", KEY])).code, 0);
    // Put data in it through the library, as an application would.
    const { dev } = await openImage(img, "pfs", { key: Buffer.from(KEY, "hex") });
    await dev.write(5, new Rng(1).bytes(3 * BLOCK_SIZE));
    await dev.close();
    const inspect = await run(["inspect", img, "--key", KEY]);
    assert.equal(inspect.out["type"], "pfs"); // detected from the header
    assert.equal(inspect.out["nblocks"], 512);
    assert.equal(inspect.out["mhtHeight"], 2);
    const check = await run(["check", img, "--key", KEY]);
    assert.equal(check.out["ok"], true);
    assert.equal(check.out["dataNodesVerified"], 3);
    // Tamper with data node 6 on disk.
    const fh = await open(img, "r+");
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, dataPhysical(6) * BLOCK_SIZE + 100);
    b[0]! ^= 0x40;
    await fh.write(b, 0, 1, dataPhysical(6) * BLOCK_SIZE + 100);
    await fh.close();
    await assert.rejects(runTool(["check", img, "--key", KEY], () => {}), (e: unknown) => e instanceof BlockError && e.kind === "MacMismatched");
    // Wrong key: refused at open.
    await assert.rejects(runTool(["inspect", img, "--key", KEY.replace("00", "01")], () => {}), /MacMismatched/);
  }));

test("raw images, key files, and missing keys", () =>
  withDir(async (dir) => {
    const img = path.join(dir, "r.img");
    assert.equal((await run(["format", img, "--type", "raw", "--size", "1M"])).code, 0);
    const inspect = await run(["inspect", img]);
    assert.equal(inspect.out["type"], "raw");
    assert.equal(inspect.out["nblocks"], 256);
    assert.equal((await run(["check", img])).out["ok"], true);
    const keyFile = path.join(dir, "key");
    await writeFile(keyFile, KEY + "\n");
    const pimg = path.join(dir, "p.img");
    assert.equal((await run(["format", pimg, "--type", "pfs", "--size", "1M", "--key-file", keyFile])).code, 0);
    assert.equal((await run(["check", pimg, "--key", KEY])).out["ok"], true);
    await assert.rejects(runTool(["check", pimg], () => {}), /needs --key/);
    await assert.rejects(runTool(["format", pimg, "--size", "1M"], () => {}), /needs --type/);
  }));

test("the fio engine runs every standard phase and reports write amplification", async () => {
  const dev = new MemDisk(1024);
  const rng = new Rng(3);
  let hostBytes = 0;
  const write = dev.write.bind(dev);
  dev.write = async (lba, buf) => {
    hostBytes += buf.length;
    await write(lba, buf);
  };
  for (const ph of STANDARD_PHASES) {
    const r = await runPhase("mem", dev, ph, { limitBytes: 1 << 20, seconds: 5, syncEvery: 256 << 10, qd: 2, hostBytesWritten: () => hostBytes }, rng);
    assert.equal(r.bytes, 1 << 20, ph.name);
    if (ph.kind === "write") {
      assert.equal(r.writeAmplification, 1);
      assert.equal(r.syncs, 5);
    }
  }
});

test("bin/occlum-disk launches the tool and maps usage errors to exit code 2", async () => {
  const { spawnSync } = await import("node:child_process");
  const { fileURLToPath } = await import("node:url");
  const bin = fileURLToPath(new URL("../../../bin/occlum-disk", import.meta.url));
  const r = spawnSync(process.execPath, [bin, "frobnicate", "x.img"], { encoding: "utf8" });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);
});
