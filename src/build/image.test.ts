import assert from "node:assert/strict";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { captureImage, ImageMacError, verifyImage } from "./image.ts";

const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "image-test-"));
after(() => fsp.rm(tmp, { recursive: true, force: true }));

async function makeImage(dir: string): Promise<void> {
  await fsp.mkdir(path.join(dir, "bin"), { recursive: true });
  await fsp.mkdir(path.join(dir, "etc", "empty"), { recursive: true });
  await fsp.writeFile(path.join(dir, "bin", "app"), "wasm bytes");
  await fsp.chmod(path.join(dir, "bin", "app"), 0o755);
  await fsp.writeFile(path.join(dir, "etc", "hosts"), "127.0.0.1 localhost\n");
  await fsp.chmod(path.join(dir, "etc", "hosts"), 0o600);
  await fsp.symlink("../bin/app", path.join(dir, "etc", "link"));
  await fsp.mkdir(path.join(dir, "ro"));
  await fsp.writeFile(path.join(dir, "ro", "f"), "r");
  await fsp.chmod(path.join(dir, "ro", "f"), 0o444);
  await fsp.chmod(path.join(dir, "ro"), 0o555);
}

test("captureImage copies files, dirs, symlinks and modes; MAC is Occlum-formatted and deterministic", async () => {
  const img = path.join(tmp, "a", "image");
  await makeImage(img);
  const dest = path.join(tmp, "a", "build", "mount", "__ROOT");
  const { mac } = await captureImage(img, dest);
  assert.match(mac, /^[0-9a-f]{2}(-[0-9a-f]{2}){15}$/);
  assert.equal(mac.length, 47);
  assert.equal(await fsp.readFile(path.join(dest, "bin", "app"), "utf8"), "wasm bytes");
  assert.equal((await fsp.stat(path.join(dest, "bin", "app"))).mode & 0o777, 0o755);
  assert.equal((await fsp.stat(path.join(dest, "etc", "hosts"))).mode & 0o777, 0o600);
  assert.equal(await fsp.readlink(path.join(dest, "etc", "link")), "../bin/app");
  assert.ok((await fsp.stat(path.join(dest, "etc", "empty"))).isDirectory());
  // Same content elsewhere → same MAC; recapture replaces stale files.
  const img2 = path.join(tmp, "b", "image");
  await makeImage(img2);
  await fsp.mkdir(path.join(tmp, "b", "root"), { recursive: true });
  await fsp.writeFile(path.join(tmp, "b", "root", "stale"), "x");
  const { mac: mac2 } = await captureImage(img2, path.join(tmp, "b", "root"));
  assert.equal(mac2, mac);
  await assert.rejects(fsp.stat(path.join(tmp, "b", "root", "stale")));
  assert.equal((await fsp.stat(path.join(dest, "ro"))).mode & 0o777, 0o555);
  await verifyImage(dest, mac);
  // Recapturing over a tree with read-only directories works.
  assert.equal((await captureImage(img, dest)).mac, mac);
});

test("verifyImage detects tampering: content, mode, added file, symlink target, rename", async () => {
  const img = path.join(tmp, "t", "image");
  await makeImage(img);
  const dest = path.join(tmp, "t", "root");
  const { mac } = await captureImage(img, dest);
  const tamper: [string, () => Promise<void>, () => Promise<void>][] = [
    ["content", () => fsp.writeFile(path.join(dest, "etc", "hosts"), "evil\n"), () => fsp.writeFile(path.join(dest, "etc", "hosts"), "127.0.0.1 localhost\n")],
    ["mode", () => fsp.chmod(path.join(dest, "bin", "app"), 0o777), () => fsp.chmod(path.join(dest, "bin", "app"), 0o755)],
    ["new file", () => fsp.writeFile(path.join(dest, "extra"), ""), () => fsp.rm(path.join(dest, "extra"))],
    ["symlink", async () => { await fsp.rm(path.join(dest, "etc", "link")); await fsp.symlink("/bin/app", path.join(dest, "etc", "link")); },
      async () => { await fsp.rm(path.join(dest, "etc", "link")); await fsp.symlink("../bin/app", path.join(dest, "etc", "link")); }],
    ["rename", () => fsp.rename(path.join(dest, "etc", "empty"), path.join(dest, "etc", "empty2")), () => fsp.rename(path.join(dest, "etc", "empty2"), path.join(dest, "etc", "empty"))],
  ];
  for (const [what, doIt, undo] of tamper) {
    await doIt();
    await assert.rejects(verifyImage(dest, mac), ImageMacError, what);
    await undo();
    await verifyImage(dest, mac);
  }
  await assert.rejects(verifyImage(dest, ""), ImageMacError);
});

test("captureImage refuses special files and a missing source", async () => {
  const img = path.join(tmp, "s", "image");
  await fsp.mkdir(img, { recursive: true });
  const { execFileSync } = await import("node:child_process");
  execFileSync("mkfifo", [path.join(img, "fifo")]);
  await assert.rejects(captureImage(img, path.join(tmp, "s", "root")), /only files, directories and symlinks/);
  await assert.rejects(captureImage(path.join(tmp, "nope"), path.join(tmp, "s", "root2")), /not found/);
});
