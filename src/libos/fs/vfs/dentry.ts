/**
 * Dentries and mounts: the VFS's view of the name tree.
 *
 * A Dentry names one inode at one place in the tree. Dentries are cached per parent (identity
 * only: every lookup still asks the file system, which stays the authority, and reuses the cached
 * dentry when it names the same inode), so an open directory keeps a correct `..` after renames
 * done through the VFS. A mount's root dentry takes the place of its mountpoint: its parent is the
 * mountpoint's parent, so `..` from a mounted root walks back into the parent mount.
 * Mountpoint dentries are pinned in their parent's cache (never revalidated away).
 */
import type { FileSystemImpl, InodeImpl } from "./inode.ts";
import { FileType } from "../types.ts";

/** Above this many cached children a directory drops its unpinned ones (memory bound). */
const MAX_CACHED_CHILDREN = 4096;

export class Mount {
  readonly fs: FileSystemImpl;
  readonly root: Dentry;
  /** The dentry this mount covers (null for the root mount). */
  readonly mountpoint: Dentry | null;
  readonly readOnly: boolean;
  /** What /proc/mounts shows. */
  readonly source: string;
  readonly target: string;

  constructor(fs: FileSystemImpl, rootInode: InodeImpl, mountpoint: Dentry | null, opts: { readOnly: boolean; source: string; target: string }) {
    this.fs = fs;
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
    this.children.set(name, d);
    return d;
  }

  forget(name: string): void {
    const d = this.children.get(name);
    if (d && !d.mounted) this.children.delete(name);
  }

  private prune(): void {
    for (const [name, d] of this.children) if (!d.mounted && d.children.size === 0) this.children.delete(name);
  }
}

export function sameInode(a: InodeImpl, b: InodeImpl): boolean {
  return a === b || (a.fs === b.fs && a.ino === b.ino && a.filetype === b.filetype);
}
