/**
 * Boot-time wiring of the memory manager (vm/): the built instance's limits, the runtime mode
 * (EDMM mismatch, vm/mismatch.ts) and the Vm with its boot commitment.
 *
 * Limits come from what `occlum build` wrote, never from Occlum.json again (it may have changed
 * since the build): build/Enclave.xml (HeapInitSize/HeapMaxSize, TCSNum/TCSMaxNum, StackMaxSize)
 * and build/.Occlum_sys.json (resource_limits.user_space_init/max_size, process.default_*). The
 * build's EDMM decision is build/.occlum_ts_build.json's edmm.enabled, else "Enclave.xml has a
 * UserRegionSize" (only EDMM layouts have one). An instance without Enclave.xml (hand-made test
 * instances, or one with only the thread numbers) boots without a Vm: memories are then plain, uncharged WebAssembly memories.
 */
import { closeSync, constants, openSync, read, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseSize } from "../config/size.ts";
import { Vm, decideRuntimeMode, platformEdmm, type AsyncToucher, type VmLimits } from "./vm/index.ts";

/** Share of the host's RAM user space may commit (beyond it: ENOMEM in the guest, not the OOM killer). */
export const HOST_CAP_SHARE = 0.9;

/**
 * `committed`: resolves when the boot commitment is really committed (the caller must await it
 * before starting a process); rejects with the one-line error when the host cannot back it.
 */
export type VmBoot =
  | { readonly ok: true; readonly vm: Vm | undefined; readonly committed: Promise<void>; readonly messages: readonly string[] }
  | { readonly ok: false; readonly message: string };

/**
 * Touches a chunk by reading /dev/zero into it: the kernel writes every page, in libuv's thread
 * pool, so the JS thread goes on booting meanwhile (the same page faults a fill would take, off
 * the JS thread). Where /dev/zero cannot be read, the chunk is filled here instead. Opened and
 * closed synchronously (a syscall each, where a pool round trip would delay the boot); only the
 * reads, which take the page faults, go to the pool.
 */
function devZeroToucher(): { touch: AsyncToucher; close: () => Promise<void> } {
  let fd: number | undefined;
  try {
    fd = openSync("/dev/zero", constants.O_RDONLY);
  } catch {
    fd = undefined;
  }
  // Reads in flight: the descriptor is closed after them (a number reused by a later open must
  // not be read into a chunk).
  const inFlight = new Set<Promise<number>>();
  const readInto = (view: Uint8Array, off: number): Promise<number> => {
    const p = new Promise<number>((resolve, reject) => read(fd!, view, off, view.length - off, null, (err, n) => (err ? reject(err) : resolve(n))));
    inFlight.add(p);
    const forget = (): void => void inFlight.delete(p);
    p.then(forget, forget);
    return p;
  };
  const touch: AsyncToucher = async (chunk) => {
    const view = new Uint8Array(chunk, 0, chunk.byteLength);
    let off = 0;
    try {
      while (fd !== undefined && off < view.length) {
        const n = await readInto(view, off);
        if (n <= 0) break;
        off += n;
      }
    } catch {
      // fall through: the rest is filled on this thread
    }
    if (off < view.length) view.fill(0, off);
  };
  const close = async (): Promise<void> => {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch {}
    fd = undefined;
  };
  return { touch, close };
}

const COMMIT_ERROR = "Error: cannot commit the memory the configuration asks for at start-up: ";

/** A small file of the build, read at once: at boot nothing else waits, and one syscall beats four thread-pool trips. */
async function readText(file: string): Promise<string | undefined> {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function bytesOf(v: unknown, what: string): number {
  if (typeof v !== "string") throw new Error(`build/.Occlum_sys.json: ${what} missing`);
  const r = parseSize(v);
  if (!r.ok) throw new Error(`build/.Occlum_sys.json: ${what}: bad size "${v}"`);
  return Number(r.bytes);
}

/** The built limits, or undefined for an instance without build/Enclave.xml. */
export async function readBuiltLimits(instanceDir: string): Promise<VmLimits | undefined> {
  const build = path.join(instanceDir, "build");
  const xml = await readText(path.join(build, "Enclave.xml"));
  if (xml === undefined) return undefined;
  const num = (tag: string): number | undefined => {
    const m = new RegExp(`<${tag}>\\s*(0x[0-9a-fA-F]+|\\d+)\\s*</${tag}>`).exec(xml);
    return m ? Number(m[1]) : undefined;
  };
  const need = (tag: string): number => {
    const v = num(tag);
    if (v === undefined) throw new Error(`build/Enclave.xml: no <${tag}>`);
    return v;
  };
  // A partial Enclave.xml (only the thread numbers, as some tests write): threads only, no Vm.
  if (["HeapInitSize", "HeapMaxSize", "StackMaxSize"].some((t) => num(t) === undefined)) return undefined;
  const sys = JSON.parse((await readText(path.join(build, ".Occlum_sys.json"))) ?? "{}") as {
    resource_limits?: Record<string, unknown>;
    process?: Record<string, unknown>;
  };
  let edmm = num("UserRegionSize") !== undefined;
  const record = await readText(path.join(build, ".occlum_ts_build.json"));
  if (record !== undefined) {
    const e = (JSON.parse(record) as { edmm?: { enabled?: unknown } }).edmm?.enabled;
    if (typeof e === "boolean") edmm = e;
  }
  const rl = sys.resource_limits ?? {};
  const pr = sys.process ?? {};
  const tcsMax = need("TCSMaxNum");
  return {
    userSpace: {
      edmm, init: bytesOf(rl["user_space_init_size"], "resource_limits.user_space_init_size"), max: bytesOf(rl["user_space_max_size"], "resource_limits.user_space_max_size"),
      processHeap: bytesOf(pr["default_heap_size"], "process.default_heap_size"), processStack: bytesOf(pr["default_stack_size"], "process.default_stack_size"),
    },
    kernelHeap: { edmm, init: need("HeapInitSize"), max: need("HeapMaxSize") },
    threads: { edmm, init: Math.min(num("TCSNum") ?? tcsMax, tcsMax), max: tcsMax },
    kernelStack: need("StackMaxSize"),
  };
}

/**
 * Decide the runtime mode and boot the Vm: Init (EDMM) or the static size is committed, in the
 * background (`committed`), so that mounting and compiling the first program overlap it.
 * `hostCap` defaults to 90% of os.totalmem().
 */
export async function bootVm(instanceDir: string, env: Readonly<Record<string, string | undefined>>, hostCap: number = Math.floor(os.totalmem() * HOST_CAP_SHARE)): Promise<VmBoot> {
  const platform = platformEdmm(env);
  if (!platform.ok) return { ok: false, message: platform.message };
  let built: VmLimits | undefined;
  try {
    built = await readBuiltLimits(instanceDir);
  } catch (e) {
    return { ok: false, message: `Error: ${(e as Error).message}` };
  }
  if (built === undefined) return { ok: true, vm: undefined, committed: Promise.resolve(), messages: [] };
  const mode = decideRuntimeMode(built, platform.edmm, env);
  if (mode.fatal !== undefined) return { ok: false, message: mode.fatal };
  const limits: VmLimits = { ...mode.limits, userSpace: { ...mode.limits.userSpace, hostCap } };
  const bootable = Math.min(limits.userSpace.edmm ? limits.userSpace.init : limits.userSpace.max, Infinity);
  if (bootable > hostCap) {
    return { ok: false, message: `Error: user space of ${bootable} bytes must be committed at start-up but the host allows ${hostCap} (90% of its RAM): lower resource_limits.user_space_size${limits.userSpace.edmm ? "" : " / user_space_max_size (or build with EDMM)"}` };
  }
  try {
    const zero = devZeroToucher();
    const { vm, committed } = Vm.bootOverlapped(limits, zero.touch);
    const done = committed.then(zero.close, async (e: unknown) => {
      await zero.close();
      throw new Error(COMMIT_ERROR + (e as Error).message);
    });
    done.catch(() => {}); // observed by the caller's await; never an unhandled rejection meanwhile
    return { ok: true, vm, committed: done, messages: mode.messages };
  } catch (e) {
    return { ok: false, message: COMMIT_ERROR + (e as Error).message };
  }
}
