import assert from "node:assert/strict";
import * as fsp from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { captureImage } from "../../build/image.ts";
import { FileBase } from "./file-base.ts";
import { createVfs, type MountSpec } from "./mounts.ts";
import type { ProcessInfoSource } from "./procfs/source.ts";
import { ImageMacError } from "./sefs/tree-mac.ts";
import { CREAT, DIR, RD, WR, names, readAll, readFile, rejectsErrno, writeFile } from "./testing/helpers.ts";
import { FileType, OFlags } from "./types.ts";

const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "mounts-test-"));
after(() => fsp.rm(tmp, { recursive: true, force: true }));

/** A terminal-like file the kernel would own (no path). */
class FakeConsole extends FileBase {
  written = "";
  constructor() {
    super(FileType.CHARACTER_DEVICE, { readable: true, writable: true });
  }
  override write(iovs: Uint8Array[]): number {
    for (const v of iovs) this.written += new TextDecoder().decode(v);
    return iovs.reduce((n, v) => n + v.length, 0);
  }
}

function fakeProcesses(consoleFile: FileBase, files: Map<number, import("./types.ts").OpenFile>): ProcessInfoSource {
  const procs = new Map([
    [1, { pid: 1, ppid: 0, name: "init", state: "S" as const, cmdline: ["/bin/init"], environ: ["A=1"], threads: 1, vmSizeBytes: 1 << 20, vmRssBytes: 1 << 19, exe: "/bin/init", cwd: "/" }],
    [7, { pid: 7, ppid: 1, name: "app", state: "R" as const, cmdline: ["/bin/app", "--x", "y z"], environ: ["HOME=/root", "OCCLUM=yes"], threads: 3, vmSizeBytes: 64 << 20, vmRssBytes: 8 << 20, exe: "/bin/app", cwd: "/root" }],
  ]);
  return {
    pids: () => [...procs.keys()],
    process: (pid) => procs.get(pid),
    fds: (pid) => (procs.has(pid) ? [{ fd: 0, path: "/dev/pts/0" }, { fd: 1, path: "/dev/pts/0" }, { fd: 2, path: "/dev/pts/0" }, ...[...files.keys()].map((fd) => ({ fd, path: files.get(fd)!.path! }))] : undefined),
    fdFile: (pid, fd) => (procs.has(pid) ? (fd <= 2 ? consoleFile : files.get(fd)) : undefined),
    memory: () => ({ totalBytes: 256 << 20, freeBytes: 200 << 20, availableBytes: 210 << 20 }),
    cpus: () => 2,
  };
}

async function instance(name: string) {
  const inst = path.join(tmp, name);
  await fsp.mkdir(path.join(inst, "image", "bin"), { recursive: true });
  await fsp.mkdir(path.join(inst, "image", "etc"), { recursive: true });
  await fsp.writeFile(path.join(inst, "image", "bin", "app"), "APP");
  await fsp.writeFile(path.join(inst, "image", "etc", "hosts"), "HOSTS");
  await fsp.mkdir(path.join(inst, "hostdir"));
  await fsp.writeFile(path.join(inst, "hostdir", "shared"), "from host");
  const { mac } = await captureImage(path.join(inst, "image"), path.join(inst, "build", "mount", "__ROOT"));
  await fsp.mkdir(path.join(inst, "run", "mount", "__ROOT"), { recursive: true });
  const mounts: MountSpec[] = [
    { target: "/proc", type: "procfs" },
    { target: "/dev", type: "devfs" },
    {
      options: { layers: [
        { options: { MAC: mac }, source: "./build/mount/__ROOT", target: "/", type: "sefs" },
        { source: "./run/mount/__ROOT", target: "/", type: "sefs" },
      ] },
      target: "/", type: "unionfs",
    },
    { source: "./hostdir", target: "/host", type: "hostfs" },
    { target: "/tmp", type: "ramfs" },
  ];
  return { inst, mac, mounts };
}

test("createVfs: the Occlum app-stage mount list", async () => {
  const { inst, mounts } = await instance("app");
  const consoleFile = new FakeConsole();
  const vfs = await createVfs(mounts, { instanceDir: inst, processInfo: fakeProcesses(consoleFile, new Map()) });
  const v = vfs.forProcess(7);
  const root = await v.openRoot();
  assert.equal(await readFile(v, root, "bin/app"), "APP");
  assert.equal(await readFile(v, root, "host/shared"), "from host");
  await writeFile(v, root, "tmp/t", "ram");
  await writeFile(v, root, "etc/hosts", "changed");
  assert.equal(await fsp.readFile(path.join(inst, "run", "mount", "__ROOT", "etc", "hosts"), "utf8"), "changed");
  assert.equal(await fsp.readFile(path.join(inst, "build", "mount", "__ROOT", "etc", "hosts"), "utf8"), "HOSTS");
  assert.deepEqual(vfs.mounts().map((m) => [m.target, m.type]), [["/", "unionfs"], ["/proc", "proc"], ["/dev", "devfs"], ["/dev/shm", "tmpfs"], ["/dev/mqueue", "mqueue"], ["/host", "hostfs"], ["/tmp", "ramfs"]]);
  assert.match(await readFile(v, root, "proc/mounts"), /^\.\/hostdir \/host hostfs rw 0 0$/m);
  await rejectsErrno(v.rename(root, "tmp/t", root, "t"), "EXDEV");
  await vfs.close();
  // The container layer persists across re-creation.
  const again = await createVfs(mounts, { instanceDir: inst, processInfo: fakeProcesses(consoleFile, new Map()) });
  const v2 = again.forProcess(7);
  const r2 = await v2.openRoot();
  assert.equal(await readFile(v2, r2, "etc/hosts"), "changed");
  await rejectsErrno(v2.stat(r2, "tmp/t", true), "ENOENT");
  await again.close();
});

test("createVfs: a tampered image is a clear error", async () => {
  const { inst, mounts } = await instance("tamper");
  await fsp.writeFile(path.join(inst, "build", "mount", "__ROOT", "bin", "app"), "EVIL");
  await assert.rejects(createVfs(mounts, { instanceDir: inst }), (e: unknown) => e instanceof ImageMacError && /modified after the build/.test(e.message));
  // Verification can be turned off (tools, tests).
  const vfs = await createVfs(mounts, { instanceDir: inst, verifyImage: false });
  await vfs.close();
});

test("createVfs: configuration errors", async () => {
  const { inst, mounts } = await instance("errors");
  await assert.rejects(createVfs([...mounts, { target: "/x", type: "btrfs" }], { instanceDir: inst }), /Unsupported file system type "btrfs"/);
  await assert.rejects(createVfs([...mounts, { target: "x", type: "ramfs" }], { instanceDir: inst }), /absolute/);
  await assert.rejects(createVfs([...mounts, { target: "/h", type: "hostfs", source: "./missing" }], { instanceDir: inst }), /ENOENT/);
  await assert.rejects(createVfs([...mounts, { target: "/s", type: "sefs" }], { instanceDir: inst }), /Source is expected for SEFS/);
  await assert.rejects(createVfs([{ target: "/", type: "unionfs", options: { layers: [{ target: "/", type: "sefs", source: "./run/mount/__ROOT" }] } }], { instanceDir: inst }), /two sefs layers/);
  // A non-root sefs mount without MAC: a writable layer store at its source.
  const vfs = await createVfs([...mounts, { target: "/data", type: "sefs", source: "./data" }], { instanceDir: inst });
  const v = vfs.forProcess(1);
  await writeFile(v, await v.openRoot(), "data/x", "persisted");
  assert.equal(await fsp.readFile(path.join(inst, "data", "x"), "utf8"), "persisted");
  await vfs.close();
});

test("devfs: null, zero, random, stdio links, shm, mqueue", async () => {
  const { inst, mounts } = await instance("dev");
  const consoleFile = new FakeConsole();
  const vfs = await createVfs(mounts, { instanceDir: inst, processInfo: fakeProcesses(consoleFile, new Map()) });
  const v = vfs.forProcess(7);
  const root = await v.openRoot();
  const nul = await v.open(root, "dev/null", WR);
  assert.equal(nul.filetype, FileType.CHARACTER_DEVICE);
  assert.equal(await nul.write([new Uint8Array(100)]), 100);
  assert.equal(await nul.read([new Uint8Array(10)]), 0);
  const zero = await v.open(root, "dev/zero", RD);
  const z = new Uint8Array(16).fill(9);
  assert.equal(await zero.read([z]), 16);
  assert.deepEqual([...z], new Array(16).fill(0));
  const rnd = await v.open(root, "dev/urandom", RD);
  const a = new Uint8Array(32);
  const b = new Uint8Array(32);
  await rnd.read([a]);
  await (await v.open(root, "dev/random", RD)).read([b]);
  assert.notDeepEqual(a, b);
  assert.ok(a.some((x) => x !== 0));
  assert.equal(await v.readlink(root, "dev/stdout"), "/proc/self/fd/1");
  // Opening /dev/stdout gives the process's fd 1 (the very description).
  const out = await v.open(root, "dev/stdout", WR);
  assert.equal(out, consoleFile);
  await out.write([new TextEncoder().encode("hi")]);
  assert.equal(consoleFile.written, "hi");
  assert.equal((await v.stat(root, "dev/stderr", true)).filetype, FileType.CHARACTER_DEVICE);
  await writeFile(v, root, "dev/shm/seg", "shared");
  assert.equal(await readFile(v, root, "dev/shm/seg"), "shared");
  await rejectsErrno(v.open(root, "dev/newdev", CREAT), "EPERM");
  await rejectsErrno(v.unlink(root, "dev/null"), "EPERM");
  assert.deepEqual(await names(await v.open(root, "dev", DIR)), [".", "..", "fd", "mqueue", "null", "random", "shm", "stderr", "stdin", "stdout", "urandom", "zero"]);
  await vfs.close();
});

test("procfs with a fake ProcessInfoSource", async () => {
  const { inst, mounts } = await instance("proc");
  const files = new Map<number, import("./types.ts").OpenFile>();
  const consoleFile = new FakeConsole();
  const vfs = await createVfs(mounts, { instanceDir: inst, processInfo: fakeProcesses(consoleFile, files) });
  const v = vfs.forProcess(7);
  const root = await v.openRoot();
  assert.equal(await v.readlink(root, "proc/self"), "7");
  assert.equal(await vfs.forProcess(1).readlink(root, "proc/self"), "1");
  assert.equal(await readFile(v, root, "proc/self/cmdline"), "/bin/app\0--x\0y z\0");
  assert.equal(await readFile(v, root, "proc/7/environ"), "HOME=/root\0OCCLUM=yes\0");
  const status = await readFile(v, root, "proc/self/status");
  assert.match(status, /^Name:\tapp$/m);
  assert.match(status, /^PPid:\t1$/m);
  assert.match(status, /^Threads:\t3$/m);
  assert.match(status, /^VmSize:\s+65536 kB$/m);
  const stat = (await readFile(v, root, "proc/1/stat")).trim().split(" ");
  assert.equal(stat.length, 52);
  assert.deepEqual(stat.slice(0, 4), ["1", "(init)", "S", "0"]);
  assert.match(await readFile(v, root, "proc/meminfo"), /^MemTotal:\s+262144 kB$/m);
  assert.equal((await readFile(v, root, "proc/cpuinfo")).match(/^processor/gm)?.length, 2);
  assert.match(await readFile(v, root, "proc/uptime"), /^\d+\.\d\d \d+\.\d\d\n$/);
  assert.deepEqual(await names(await v.open(root, "proc", DIR)), [".", "..", "1", "7", "cpuinfo", "meminfo", "mounts", "self", "thread-self", "uptime"]);
  assert.deepEqual(await names(await v.open(root, "proc/self/", DIR)), [".", "..", "cmdline", "comm", "cwd", "environ", "exe", "fd", "stat", "status", "task"]);
  assert.equal(await v.readlink(root, "proc/7/exe"), "/bin/app");
  await rejectsErrno(v.stat(root, "proc/99", true), "ENOENT");
  await rejectsErrno(v.open(root, "proc/self/status", WR), "EACCES");
  await rejectsErrno(v.open(root, "proc/newfile", CREAT), "EPERM");
  // fd links: a file with a path is reopened (new description), a console is shared.
  const f = await v.open(root, "tmp/data", CREAT);
  await f.write([new TextEncoder().encode("abc")]);
  files.set(3, f);
  assert.deepEqual(await names(await v.open(root, "proc/self/fd", DIR)), [".", "..", "0", "1", "2", "3"]);
  assert.equal(await v.readlink(root, "proc/self/fd/3"), "/tmp/data");
  const re = await v.open(root, "proc/self/fd/3", RD);
  assert.notEqual(re, f);
  assert.equal(await readAll(re), "abc");
  assert.equal((await v.stat(root, "proc/self/fd/3", true)).size, 3n);
  assert.equal(await v.open(root, "proc/self/fd/0", RD), consoleFile);
  await rejectsErrno(v.open(root, "proc/self/fd/9", RD), "ENOENT");
  await rejectsErrno(v.open(root, "proc/self/fd/3", { ...RD, oflags: OFlags.DIRECTORY, followSymlinks: false }), "ENOTDIR");
  await vfs.close();
});
