/**
 * Test support for guest-program tests: build C guests, lay out a built Occlum instance in a temp
 * dir (build/.Occlum_sys.json + the image and container layers, as `occlum build` leaves them),
 * and run a program through runInstance with captured stdio.
 */
import assert from "node:assert/strict";
import { mkdtemp, mkdir, copyFile, writeFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PassThrough, Writable, type Readable } from "node:stream";
import { buildGuest } from "../support/guest.ts";
import { computeTreeMac } from "../../src/libos/fs/sefs/tree-mac.ts";
import { runInstance, type RunOptions } from "../../src/libos/boot.ts";
import { Logger, LogLevel } from "../../src/libos/log.ts";

export const guestDir = "test/guest/wasi";

/** Build test/guest/wasi/<name>.c (cached by content hash). */
export function guest(name: string): Promise<string> {
  return buildGuest(path.join(guestDir, `${name}.c`));
}

export interface InstanceSpec {
  /** image path ("/bin/x") → host .wasm file */
  programs?: Record<string, string>;
  /** image path → file contents */
  files?: Record<string, string | Uint8Array>;
  entryPoints?: string[];
  env?: { default: string[]; untrusted: string[] };
  /** extra app-stage mounts after the root (e.g. hostfs), sources relative to the instance */
  mounts?: object[];
}

export interface Instance {
  dir: string;
  cleanup(): Promise<void>;
}

export async function makeInstance(spec: InstanceSpec = {}): Promise<Instance> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "occlum-ts-libos-"));
  const image = path.join(dir, "build", "mount", "__ROOT");
  for (const d of ["bin", "tmp", "dev", "proc", "etc", "host", "root"]) await mkdir(path.join(image, d), { recursive: true });
  await mkdir(path.join(dir, "run", "mount", "__ROOT"), { recursive: true });
  for (const [p, wasm] of Object.entries(spec.programs ?? {})) {
    await mkdir(path.join(image, path.dirname(p)), { recursive: true });
    await copyFile(wasm, path.join(image, p));
  }
  for (const [p, data] of Object.entries(spec.files ?? {})) {
    await mkdir(path.join(image, path.dirname(p)), { recursive: true });
    await writeFile(path.join(image, p), data);
  }
  const mac = await computeTreeMac(image);
  const sys = {
    resource_limits: { user_space_init_size: "314572800B", user_space_max_size: "314572800B" },
    process: { default_stack_size: "4MB", default_heap_size: "32MB", default_mmap_size: "100MB" },
    env: spec.env ?? { default: ["OCCLUM=yes"], untrusted: ["EXAMPLE"] },
    disable_log: false,
    app: [
      {
        entry_points: spec.entryPoints ?? ["/bin"],
        mount: [
          { target: "/proc", type: "procfs" },
          { target: "/dev", type: "devfs" },
          {
            options: {
              layers: [
                { options: { MAC: mac }, source: "./build/mount/__ROOT", target: "/", type: "sefs" },
                { source: "./run/mount/__ROOT", target: "/", type: "sefs" },
              ],
            },
            target: "/", type: "unionfs",
          },
          ...(spec.mounts ?? []),
        ],
        stage: "app",
      },
    ],
    feature: { amx: 0, pkru: 0, io_uring: 0, enable_edmm: false, enable_posix_shm: false },
  };
  await writeFile(path.join(dir, "build", ".Occlum_sys.json"), JSON.stringify(sys, null, 2));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A Writable collecting text. */
export class Collect extends Writable {
  text = "";
  private readonly watchers: { re: RegExp; resolve: () => void }[] = [];
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    for (const w of [...this.watchers]) {
      if (w.re.test(this.text)) {
        this.watchers.splice(this.watchers.indexOf(w), 1);
        w.resolve();
      }
    }
    cb();
  }
  /** Resolves once the collected text matches. */
  waitFor(re: RegExp): Promise<void> {
    if (re.test(this.text)) return Promise.resolve();
    return new Promise((resolve) => this.watchers.push({ re, resolve }));
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  log: string;
}

export interface GuestRun extends Partial<Omit<RunOptions, "stdio" | "instanceDir" | "path">> {
  stdin?: Readable | string;
  trace?: boolean;
  /** Use this collector for stdout (to wait for output while the guest runs). */
  stdout?: Collect;
}

/** runInstance with captured stdout/stderr (and the kernel log, at trace level when asked). */
export async function run(inst: Instance, programPath: string, o: GuestRun = {}): Promise<RunResult> {
  const stdout = o.stdout ?? new Collect();
  const stderr = new Collect();
  let log = "";
  const logger = new Logger(o.trace ? LogLevel.trace : LogLevel.error, (line) => (log += line));
  const { stdin, trace: _t, stdout: _o, ...rest } = o;
  const code = await runInstance({
    env: {},
    ...rest,
    instanceDir: inst.dir,
    path: programPath,
    stdio: { stdin: stdin ?? "", stdout, stderr },
    logger,
  });
  return { code, stdout: stdout.text, stderr: stderr.text, log };
}

/**
 * A differential conformance run: exit 0, nothing on stderr, and stdout exactly `linux` (the
 * same program's output on Linux), compared line by line first so a failure names the first
 * differing case.
 */
export function assertPrintsLinux(r: RunResult, linux: string, label = ""): void {
  assert.equal(r.stderr, "");
  const got = r.stdout.split("\n");
  const want = linux.split("\n");
  for (let i = 0; i < want.length; i++) assert.equal(got[i], want[i], `${label}line ${i + 1}`);
  assert.equal(r.stdout, linux);
  assert.equal(r.code, 0);
}

export { PassThrough };
