/**
 * createVfs: builds the mount tree from the app-stage mount list of the internal config
 * (build/.Occlum_sys.json, reference §2.6), as Occlum's LibOS does at boot:
 *   - the entry with target "/" and type "unionfs" is the root: its layers are the image layer
 *     (a sefs layer with options.MAC: read-only, its MAC re-checked unless verifyImage is false)
 *     and the container layer (a sefs layer without MAC: writable, persists across runs);
 *   - then every other mount in list order, its mountpoint created when missing:
 *     procfs, devfs, hostfs (source relative to the instance dir; must be an existing
 *     directory), ramfs, sefs (a DirLayerStore at source), non-root unionfs (2 sefs layers);
 *   - under devfs, as Linux systems mount them: a ramfs at /dev/shm and the message queue fs at
 *     /dev/mqueue (empty until the kernel binds its namespace: VfsService.bindMqueue);
 *   - an unknown type, a relative target, a sefs without source → a clear error (SysError EINVAL).
 * Without a "/" entry the root is an empty ramfs (tests, tools).
 */
import * as path from "node:path";
import { Errno, sysErr } from "../syscall/errno.ts";
import { emptyProcessInfo, type ProcessInfoSource } from "./procfs/source.ts";
import { DevFs } from "./devfs/devfs.ts";
import { HostFs, type CacheHeap } from "./hostfs/hostfs.ts";
import { MqueueFs, type MqueueSource } from "./mqueuefs/mqueuefs.ts";
import { ProcFs } from "./procfs/procfs.ts";
import { RamFs, type ByteBudget } from "./ramfs/ramfs.ts";
import { openDirLayerStore } from "./sefs/dir-layer-store.ts";
import { verifyTreeMac } from "./sefs/tree-mac.ts";
import { UnionFs } from "./unionfs/unionfs.ts";
import type { FileSystemImpl } from "./vfs/inode.ts";
import { VfsCore, type MountEntry, type ProcessVfs } from "./vfs/vfs.ts";

/** One mount object of the internal config (keys as Occlum writes them). */
export interface MountSpec {
  type: string;
  target: string;
  source?: string;
  options?: {
    layers?: MountSpec[];
    MAC?: string | null;
    temporary?: boolean;
    cache_size?: string;
    disk_size?: string;
    [key: string]: unknown;
  };
}

export interface CreateVfsOptions {
  /** The Occlum instance directory; mount sources are relative to it. */
  instanceDir: string;
  processInfo?: ProcessInfoSource;
  /** Charged for every byte held by ramfs mounts (and /dev/shm). */
  ramfsBudget?: ByteBudget;
  /** Kernel heap that caches (SEFS layer name lookups) charge and shrink under pressure. */
  cacheHeap?: CacheHeap;
  /** Kernel heap the VFS's dentry cache charges and shrinks under pressure (vfs/dentry.ts). */
  dentryHeap?: CacheHeap;
  /** Recompute the image layer's MAC and compare it with the config (default true). */
  verifyImage?: boolean;
}

export interface VfsService {
  /** The path-level service as seen by process `pid`. */
  forProcess(pid: number): ProcessVfs;
  /** The mount table (as /proc/mounts shows it). */
  mounts(): MountEntry[];
  readonly core: VfsCore;
  /** Show `source`'s queues at /dev/mqueue (the kernel's namespace, made after the VFS). */
  bindMqueue(source: MqueueSource): void;
  close(): Promise<void>;
}

export const SUPPORTED_FS_TYPES = ["sefs", "hostfs", "ramfs", "unionfs", "devfs", "procfs"] as const;

interface FsFactoryContext {
  opts: CreateVfsOptions;
  processInfo: ProcessInfoSource;
  core: () => VfsCore;
  bootNs: bigint;
}

/** Resolve a mount source against the instance dir. */
export function sourcePath(instanceDir: string, source: string): string {
  return path.resolve(instanceDir, source);
}

export async function createVfs(mounts: MountSpec[], opts: CreateVfsOptions): Promise<VfsService> {
  const processInfo = opts.processInfo ?? emptyProcessInfo();
  let core: VfsCore | undefined;
  const fx: FsFactoryContext = {
    opts, processInfo, bootNs: processInfo.bootNs ?? process.hrtime.bigint(),
    core: () => {
      if (!core) throw new Error("VFS not built yet");
      return core;
    },
  };
  for (const m of mounts) checkSpec(m);
  const rootSpec = mounts.find((m) => m.target === "/" && m.type === "unionfs") ?? mounts.find((m) => m.target === "/");
  const rootFs: FileSystemImpl = rootSpec ? await build(rootSpec, fx, true) : new RamFs(opts.ramfsBudget ? { budget: opts.ramfsBudget } : {});
  core = await VfsCore.create(rootFs, { source: rootSpec?.source ?? rootSpec?.type ?? "ramfs", ...(opts.dentryHeap ? { dentryHeap: opts.dentryHeap } : {}) });
  const built: FileSystemImpl[] = [];
  const mqueue: MqueueFs[] = [];
  try {
    for (const m of mounts) {
      if (m === rootSpec) continue;
      const fs = await build(m, fx, false);
      built.push(fs);
      const target = path.posix.normalize(m.target);
      await core.mount(target, fs, { source: m.source ?? m.type });
      if (fs instanceof DevFs) {
        // /dev/shm: POSIX shared memory lives in a ramfs.
        const shm = new RamFs(fx.opts.ramfsBudget ? { budget: fx.opts.ramfsBudget, type: "tmpfs" } : { type: "tmpfs" });
        built.push(shm);
        await core.mount(path.posix.join(target, "shm"), shm, { source: "shm" });
        const mq = new MqueueFs();
        mqueue.push(mq);
        await core.mount(path.posix.join(target, "mqueue"), mq, { source: "mqueue" });
      }
    }
  } catch (e) {
    for (const fs of built) await fs.close?.();
    await rootFs.close?.();
    throw e;
  }
  const c = core;
  return {
    core: c,
    forProcess: (pid) => c.forProcess(pid),
    mounts: () => c.mounts(),
    bindMqueue: (source) => {
      for (const mq of mqueue) mq.bind(source);
    },
    close: () => c.close(),
  };
}

function checkSpec(m: MountSpec): void {
  if (typeof m.type !== "string" || typeof m.target !== "string") throw sysErr(Errno.INVAL, "mount entry needs a type and a target");
  if (!m.target.startsWith("/")) throw sysErr(Errno.INVAL, `mount target must be an absolute path: ${m.target}`);
}

function need(spec: MountSpec, what: string): string {
  if (typeof spec.source !== "string" || spec.source.length === 0) throw sysErr(Errno.INVAL, `Source is expected for ${what} (mount ${spec.target})`);
  return spec.source;
}

/** A sefs layer or mount: read-only and MAC-checked when it has a MAC, else writable. */
async function sefs(spec: MountSpec, fx: FsFactoryContext): Promise<FileSystemImpl> {
  if (spec.type !== "sefs") throw sysErr(Errno.INVAL, `unionfs layers must be sefs, got "${spec.type}" (mount ${spec.target})`);
  const dir = sourcePath(fx.opts.instanceDir, need(spec, "SEFS"));
  const mac = spec.options?.MAC;
  if (typeof mac === "string") {
    if (spec.options?.temporary) throw sysErr(Errno.INVAL, `an integrity-protected SEFS cannot be temporary (mount ${spec.target})`);
    if (fx.opts.verifyImage !== false) await verifyTreeMac(dir, mac);
    return openDirLayerStore(dir, { readOnly: true, ...(fx.opts.cacheHeap ? { cacheHeap: fx.opts.cacheHeap } : {}) });
  }
  if (spec.options?.temporary) return new RamFs(fx.opts.ramfsBudget ? { budget: fx.opts.ramfsBudget, type: "sefs" } : { type: "sefs" });
  return openDirLayerStore(dir, { readOnly: false, ...(fx.opts.cacheHeap ? { cacheHeap: fx.opts.cacheHeap } : {}) });
}

async function union(spec: MountSpec, fx: FsFactoryContext, isRoot: boolean): Promise<FileSystemImpl> {
  const layers = spec.options?.layers;
  if (!Array.isArray(layers) || layers.length < 2) throw sysErr(Errno.INVAL, `unionfs needs two sefs layers (mount ${spec.target})`);
  let image: MountSpec | undefined;
  let container: MountSpec | undefined;
  if (isRoot) {
    image = layers.find((l) => l.type === "sefs" && typeof l.options?.MAC === "string");
    container = layers.find((l) => l.type === "sefs" && typeof l.options?.MAC !== "string");
    if (!image || !container) throw sysErr(Errno.INVAL, "the root UnionFS needs an image SEFS layer (with MAC) and a container SEFS layer (without)");
  } else {
    [image, container] = layers;
  }
  const lower = await sefs(image!, fx);
  try {
    const upper = await sefs(container!, fx);
    if (upper.readOnly) throw sysErr(Errno.INVAL, `the container layer of unionfs ${spec.target} must be writable (no MAC)`);
    return new UnionFs(lower, upper);
  } catch (e) {
    await lower.close?.();
    throw e;
  }
}

async function build(spec: MountSpec, fx: FsFactoryContext, isRoot: boolean): Promise<FileSystemImpl> {
  const budget = fx.opts.ramfsBudget ? { budget: fx.opts.ramfsBudget } : {};
  switch (spec.type) {
    case "ramfs":
      return new RamFs(budget);
    case "hostfs":
      return HostFs.open(sourcePath(fx.opts.instanceDir, need(spec, "hostfs")));
    case "sefs":
      return sefs(spec, fx);
    case "unionfs":
      return union(spec, fx, isRoot);
    case "devfs":
      return new DevFs();
    case "procfs":
      return new ProcFs({
        source: fx.processInfo,
        mounts: () => fx.core().mounts(),
        bootNs: fx.bootNs,
        reopen: (pid, p, o) => fx.core().forProcess(pid).openAbsolute(p, o),
      });
    case "ext2":
      throw sysErr(Errno.NOTSUP, `file system type "ext2" (mount ${spec.target}) is not supported yet`);
    default:
      throw sysErr(Errno.INVAL, `Unsupported file system type "${spec.type}" (mount ${spec.target})`);
  }
}
