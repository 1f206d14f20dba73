/**
 * Dentries and mounts: the VFS's view of the name tree.
 *
 * A Dentry names one inode at one place in the tree. Dentries are cached per parent (identity
 * only: every lookup still asks the file system, which stays the authority, and reuses the cached
 * dentry when it names the same inode), so an open directory keeps a correct `..` after renames
 * done through the VFS. A mount's root dentry takes the place of its mountpoint: its parent is the
 * mountpoint's parent, so `..` from a mounted root walks back into the parent mount.
 * Mountpoint dentries are pinned in their parent's cache (never revalidated away).
 *
 * The cache is kernel heap (vm/kernel-heap.ts through DentryCache): every cached dentry is
 * charged an estimate of what it holds, uncharged when it leaves the cache, and under pressure
 * the heap's shrinker drops unpinned leaves (files first, then empty directories) before a
 * charge of anyone fails. A dentry the heap has no room for is used uncached (correct, just
 * looked up again next time), as Linux does when it cannot allocate one.
 */
import type { FileSystemImpl, InodeImpl } from "./inode.ts";
import { FileType } from "../types.ts";

/** Above this many cached children a directory drops its unpinned ones (memory bound). */
const MAX_CACHED_CHILDREN = 4096;

/** Estimated kernel heap cost of one cached dentry: the object, its children map, the parent's map entry, the name. */
const DENTRY_BYTES = 192;
export const dentryCost = (name: string): number => DENTRY_BYTES + 2 * name.length;

/** The kernel heap as the dentry cache sees it (the same shape as hostfs's CacheHeap). */
export interface DentryHeap {
  charge(bytes: number): boolean;
  uncharge(bytes: number): void;
  registerShrinker(name: string, fn: (wantBytes: number) => number): () => void;
}

/** The charge of one VFS's dentry cache: what it holds, and its shrinker. */
export class DentryCache {
  private readonly heap: DentryHeap;
  /** Bytes charged for cached dentries right now. */
  bytes = 0;
  private root: (() => Dentry) | undefined;
  private readonly unregister: () => void;

  constructor(heap: DentryHeap) {
    this.heap = heap;
    this.unregister = heap.registerShrinker("dentries", (want) => this.shrink(want));
  }

  /** Where the shrinker starts (the VFS root, mounts followed). */
  attach(root: () => Dentry): void {
    this.root = root;
  }

  charge(bytes: number): boolean {
    if (!this.heap.charge(bytes)) return false;
    this.bytes += bytes;
    return true;
  }

  uncharge(bytes: number): void {
    if (bytes <= 0) return;
    this.bytes -= bytes;
    this.heap.uncharge(bytes);
  }

  /** Drops unpinned leaves until `want` bytes are freed: files first, then empty directories. */
  shrink(want: number): number {
    const root = this.root?.();
    if (!root) return 0;
    const before = this.bytes;
    for (const dirsToo of [false, true]) {
      if (before - this.bytes >= want) break;
      dropLeaves(root, dirsToo, () => before - this.bytes >= want);
    }
    return before - this.bytes;
  }

  close(): void {
    this.unregister();
  }
}

/** Post-order: a directory emptied of its cached children becomes a leaf itself. */
function dropLeaves(d: Dentry, dirsToo: boolean, enough: () => boolean): void {
  for (const [name, c] of d.children) {
    if (enough()) return;
    const below = c.top(); // what lookups reach under this name (stacked mounts followed)
    if (below.children.size > 0) dropLeaves(below, dirsToo, enough);
    if (c.mounted || c.children.size > 0 || (!dirsToo && c.isDir)) continue;
    d.uncache(name);
  }
}

export class Mount {
  readonly fs: FileSystemImpl;
  readonly root: Dentry;
  /** The dentry this mount covers (null for the root mount). */
  readonly mountpoint: Dentry | null;
  readonly readOnly: boolean;
  /** What /proc/mounts shows. */
  readonly source: string;
  readonly target: string;

  /** The kernel heap charge of the VFS's dentry cache (none: uncharged). */
  readonly cache: DentryCache | undefined;

  constructor(fs: FileSystemImpl, rootInode: InodeImpl, mountpoint: Dentry | null, opts: { readOnly: boolean; source: string; target: string; cache?: DentryCache | undefined }) {
    this.fs = fs;
    this.cache = opts.cache;
    this.mountpoint = mountpoint;
    this.readOnly = opts.readOnly || fs.readOnly;
    this.source = opts.source;
    this.target = opts.target;
    this.root = new Dentry(mountpoint?.name ?? "", mountpoint?.parent ?? null, rootInode, this);
  }
}

export class Dentry {
  name: string;
  parent: Dentry | null;
  inode: InodeImpl;
  readonly mount: Mount;
  readonly children = new Map<string, Dentry>();
  /** The mount stacked on this dentry, if any. */
  mounted: Mount | null = null;
  /** What this dentry's slot in its parent's cache is charged (0: uncharged). */
  private charged = 0;

  constructor(name: string, parent: Dentry | null, inode: InodeImpl, mount: Mount) {
    this.name = name;
    this.parent = parent;
    this.inode = inode;
    this.mount = mount;
  }

  get isDir(): boolean {
    return this.inode.filetype === FileType.DIRECTORY;
  }

  /** Follow mounts stacked on this dentry to the topmost root. */
  top(): Dentry {
    let d: Dentry = this;
    while (d.mounted) d = d.mounted.root;
    return d;
  }

  /** Bumped whenever a dentry changes name or parent: cached paths below it are stale. */
  private static moves = 0;
  static moved(): void {
    Dentry.moves++;
  }
  private cachedPath: string | null = null;
  private cachedAt = -1;

  /** Absolute guest path (cached until a rename anywhere). */
  path(): string {
    if (this.cachedAt === Dentry.moves) return this.cachedPath!;
    const parts: string[] = [];
    for (let d: Dentry | null = this; d && d.parent; d = d.parent) parts.push(d.name);
    this.cachedPath = "/" + parts.reverse().join("/");
    this.cachedAt = Dentry.moves;
    return this.cachedPath;
  }

  /** True when `this` is `other` or lies below it. */
  isWithin(other: Dentry): boolean {
    for (let d: Dentry | null = this; d; d = d.parent) if (d === other) return true;
    return false;
  }

  /** Cache `inode` under `name`, reusing the cached dentry when it names the same inode. */
  child(name: string, inode: InodeImpl): Dentry {
    const cached = this.children.get(name);
    if (cached && sameInode(cached.inode, inode)) {
      cached.inode = inode;
      return cached;
    }
    if (this.children.size >= MAX_CACHED_CHILDREN) this.prune();
    const d = new Dentry(name, this, inode, this.mount);
    this.cacheChild(name, d);
    return d;
  }

  /**
   * Puts `d` in this directory's cache under `name` (replacing what was there), charged to the
   * kernel heap. false when the heap had no room: `d` then stays usable but uncached, unless
   * `pin` (a mountpoint must be found by lookups): it is then cached uncharged.
   */
  cacheChild(name: string, d: Dentry, pin = false): boolean {
    if (this.children.get(name) === d) return true;
    const cache = this.mount.cache;
    let cost = 0;
    if (cache) {
      cost = dentryCost(name);
      if (!cache.charge(cost)) {
        if (!pin) return false;
        cost = 0;
      }
    }
    this.uncache(name); // after the charge: its shrinking may have dropped the old entry already
    d.charged = cost; // callers take `d` out of any other slot first (rename)
    this.children.set(name, d);
    return true;
  }

  /** Removes `name` from the cache (whatever it holds) and gives its charge back. */
  uncache(name: string): void {
    const d = this.children.get(name);
    if (!d) return;
    this.children.delete(name);
    if (d.charged > 0) {
      this.mount.cache?.uncharge(d.charged);
      d.charged = 0;
    }
  }

  forget(name: string): void {
    const d = this.children.get(name);
    if (d && !d.mounted) this.uncache(name);
  }

  private prune(): void {
    for (const [name, d] of this.children) if (!d.mounted && d.children.size === 0) this.uncache(name);
  }
}

export function sameInode(a: InodeImpl, b: InodeImpl): boolean {
  return a === b || (a.fs === b.fs && a.ino === b.ino && a.filetype === b.filetype);
}
