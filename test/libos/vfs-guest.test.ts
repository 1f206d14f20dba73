/**
 * The VFS through real guests: the union root (copy-up, whiteouts, persistence of the container
 * layer across runs, the image layer never written), descriptions that outlive their names,
 * changes aimed out of a hostfs mount, and the procfs files issue 3 lists.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { access, mkdtemp, mkdir, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { guest, makeInstance, run, type Instance } from "./helpers.ts";

let inst: Instance;
let hostDir: string;
let shared: string;

before(async () => {
  hostDir = await mkdtemp(path.join(os.tmpdir(), "occlum-ts-vfs-guest-"));
  shared = path.join(hostDir, "shared");
  await mkdir(shared);
  await writeFile(path.join(shared, "note.txt"), "host note\n");
  await symlink("/etc", path.join(shared, "etc-abs"));
  await symlink("../../../../../../../..", path.join(shared, "up"));
  inst = await makeInstance({
    programs: {
      "/bin/layers": await guest("layers"),
      "/bin/host_escape": await guest("host_escape"),
      "/bin/cat_paths": await guest("cat_paths"),
      "/bin/procdev": await guest("procdev"),
    },
    files: {
      "/etc/motd": "image motd\n",
      "/etc/keep": "keep\n",
      "/etc/remove-me": "bye\n",
      "/etc/passwd": "guest-passwd\n",
      "/etc/hostname": "guest\n",
      "/opt/old/file": "old\n",
    },
    mounts: [{ source: shared, target: "/host", type: "hostfs" }, { target: "/mnt/ram", type: "ramfs" }],
  });
});
after(async () => {
  await inst?.cleanup();
  await rm(hostDir, { recursive: true, force: true });
});

function passed(r: { code: number; stdout: string; stderr: string }, name: string): void {
  assert.match(r.stdout, new RegExp(`${name}: \\d+ checks, 0 failures`), r.stdout + r.stderr);
  assert.equal(r.code, 0, r.stdout + r.stderr);
}

test("union root: copy-up, whiteouts, open descriptions outliving their names, persisted across runs; a ramfs mount is not", async () => {
  const image = path.join(inst.dir, "build", "mount", "__ROOT");
  const container = path.join(inst.dir, "run", "mount", "__ROOT");
  passed(await run(inst, "/bin/layers", { args: ["write"] }), "write");
  // a second LibOS boot on the same instance sees the container layer
  passed(await run(inst, "/bin/layers", { args: ["check"] }), "check");
  // the image layer was never written
  assert.equal(await readFile(path.join(image, "etc", "motd"), "utf8"), "image motd\n");
  assert.equal(await readFile(path.join(image, "etc", "remove-me"), "utf8"), "bye\n");
  assert.equal(await readFile(path.join(image, "opt", "old", "file"), "utf8"), "old\n");
  // the changes live in the container layer: a copy, whiteouts, new entries
  assert.equal(await readFile(path.join(container, "etc", "motd"), "utf8"), "image motd\nchanged\n");
  const etc = await readdir(path.join(container, "etc"));
  assert.ok(etc.includes(".wh.remove-me") && etc.includes(".wh.keep"), etc.join(","));
  assert.equal(await readFile(path.join(container, "var", "data", "new.txt"), "utf8"), "new\n");
  // the ramfs mount's files never reached the host
  assert.deepEqual(await readdir(path.join(container, "mnt", "ram")).catch(() => []), []);
});

test("hostfs from a guest: creates through planted or guest-made symlinks and `..` stay in the LibOS root; EXDEV across the mount", async () => {
  const r = await run(inst, "/bin/host_escape");
  assert.equal(r.code, 0, r.stderr);
  const lines = Object.fromEntries(r.stdout.trim().split("\n").map((l) => l.split(": ")));
  // resolved inside the guest's root, so they succeed there
  assert.equal(lines["create /host/etc-abs/escaped"], "ok");
  assert.equal(lines["create /host/up/escaped"], "ok");
  assert.equal(lines["stat /etc/escaped"], "ok");
  assert.equal(lines["stat /escaped"], "ok");
  assert.equal(lines["create /host/mine"], "ok");
  assert.equal(lines["stat /etc/host-target"], "ok");
  assert.equal(lines["create /host/../../../escaped-dotdot"], "ok");
  assert.equal(lines["stat /escaped-dotdot"], "ok");
  // EXDEV: wasi-libc errno values are WASI errnos (XDEV = 75)
  assert.equal(lines["rename /host/note.txt /stolen"], "errno 75");
  assert.equal(lines["link /host/note.txt /stolen"], "errno 75");
  assert.equal(lines["rename /etc/passwd /host/passwd"], "errno 75");
  // the host: only the guest's own symlinks were added to the shared directory, nothing outside
  assert.deepEqual((await readdir(shared)).sort(), ["etc-abs", "mine", "note.txt", "rel", "up"]);
  assert.deepEqual(await readdir(hostDir), ["shared"]);
  for (const p of ["/etc/escaped", "/etc/host-target", "/escaped", "/escaped-dotdot", "/tmp/rel-target"]) {
    await assert.rejects(access(p), `host ${p} must not exist`);
  }
  assert.equal(await readFile(path.join(shared, "note.txt"), "utf8"), "host note\n");
});

test("procfs files: meminfo, cpuinfo, mounts, uptime, /proc/self/{environ,stat,status,fd}", async () => {
  const r = await run(inst, "/bin/cat_paths", {
    args: ["/proc/meminfo", "/proc/cpuinfo", "/proc/mounts", "/proc/uptime", "/proc/self/environ", "/proc/self/stat", "/proc/self/status", "/proc/self/fd/0"],
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\/proc\/meminfo: \[MemTotal:\s+\d+ kB\]/);
  assert.match(r.stdout, /\/proc\/cpuinfo: \[processor\s*:\s*0\]/);
  assert.match(r.stdout, /\/proc\/mounts: \[\S+ \/ \S+ /);
  assert.match(r.stdout, /\/proc\/uptime: \[\d+\.\d\d \d+\.\d\d\]/);
  assert.match(r.stdout, /\/proc\/self\/environ: \[OCCLUM=yes\]/);
  assert.match(r.stdout, /\/proc\/self\/stat: \[1 \(cat_paths\) R /);
  assert.match(r.stdout, /\/proc\/self\/status: \[Name:\s+cat_paths\]/);
  assert.doesNotMatch(r.stdout, /errno/);
});

test("/proc/self/fd lists and names the open descriptors; /dev/shm is a ramfs; the working directory", async () => {
  const r = await run(inst, "/bin/procdev");
  passed(r, "procdev");
  assert.match(r.stdout, /fds listed: \d+/);
});
