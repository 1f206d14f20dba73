/**
 * unionfs: a read-only lower layer under a writable upper layer (Occlum's root: image layer +
 * container layer). Both layers are FileSystemImpls (layer stores); the union never writes to
 * the lower one.
 *
 * Rules:
 * - A name is visible from the upper layer if it exists there, else from the lower one, unless
 *   the upper parent holds a whiteout `.wh.<name>`. A whiteout means "the lower <name> is gone"
 *   and stays while an upper <name> is created over it, so rmdir + mkdir gives an opaque (empty)
 *   directory, and unlinking the new entry again needs no new whiteout. Names starting with
 *   `.wh.` are reserved (EPERM to create, never listed).
 * - A directory present in both layers is merged (readdir lists upper ∪ lower − whiteouts).
 * - Copy-up: writing, truncating, setting times of, or hard-linking a lower entry first copies it
 *   (and its missing parent directories, with modes and times) into the upper layer. Renaming a
 *   directory that has lower contents copies its whole subtree up, then whites out the old name.
 *   Copy-up breaks hard links between lower files (as overlayfs without index).
 * - Inode numbers: lower-based (2·ino) when the lower layer has the path, else upper-based
 *   (2·ino+1), so they stay stable across copy-up.
 * - Layer resolutions are cached per inode and revalidated when the union's generation (bumped
 *   by every change made through it) moved.
 */
import { Errno, sysErr } from "../../syscall/errno.ts";
import { FileBase } from "../file-base.ts";
import { FileType, FstFlags, type DirEntry, type OpenFile, type Stat } from "../types.ts";
import {
  allocDev, canSetMode, InodeBase, type CreateKind, type FileSystemImpl, type FsCtx, type InodeImpl, type InodeOpenOptions,
  type ListEntry,
} from "../vfs/inode.ts";

export const WHITEOUT_PREFIX = ".wh.";
const KCTX: FsCtx = { pid: 0 };
const COPY_CHUNK = 1 << 20;
/** Cached child lookups per directory inode (memory bound). */
const MAX_CACHED_CHILDREN = 1024;

interface Layers {
  upper: InodeImpl | null;
  /** The lower entry, when visible (not whited out, not hidden by an upper non-directory). */
  lower: InodeImpl | null;
}

export class UnionFs implements FileSystemImpl {
  readonly type = "unionfs";
  readonly dev = allocDev();
  readonly readOnly = false;
  readonly lowerFs: FileSystemImpl;
  readonly upperFs: FileSystemImpl;
  gen = 0;
  private readonly dirPaths = new Map<bigint, string[]>();

  constructor(lower: FileSystemImpl, upper: FileSystemImpl) {
    if (upper.readOnly) throw sysErr(Errno.ROFS, "unionfs: the upper layer must be writable");
    this.lowerFs = lower;
    this.upperFs = upper;
  }

  async root(): Promise<UnionInode> {
    const l: Layers = { upper: await this.upperFs.root(), lower: await this.lowerFs.root() };
    return new UnionInode(this, [], l);
  }

  changed(): void {
    this.gen++;
  }

  pathOf(ino: bigint, fallback: string[]): string[] {
    return this.dirPaths.get(ino) ?? fallback;
  }
  noteDir(ino: bigint, path: string[]): void {
    this.dirPaths.set(ino, path);
  }
  movedDir(from: string[], to: string[]): void {
    const n = from.length;
    for (const [ino, p] of this.dirPaths) {
      if (p.length >= n && from.every((c, i) => p[i] === c)) this.dirPaths.set(ino, [...to, ...p.slice(n)]);
    }
  }

  /** Resolve the layers of `path` from the roots. */
  async resolve(path: string[]): Promise<Layers | null> {
    let cur: Layers = { upper: await this.upperFs.root(), lower: await this.lowerFs.root() };
    for (const name of path) {
      const next = await step(cur, name);
      if (!next) return null;
      cur = next;
    }
    return cur;
  }

  async close(): Promise<void> {
    await this.upperFs.close?.();
    await this.lowerFs.close?.();
  }
}

function isDir(i: InodeImpl | null): boolean {
  return i?.filetype === FileType.DIRECTORY;
}

/** The layers of `name` inside the directory `dir`; null when not visible. */
async function step(dir: Layers, name: string): Promise<Layers | null> {
  const u = isDir(dir.upper) ? await dir.upper!.lookup(name, KCTX) : null;
  let l: InodeImpl | null = null;
  if (isDir(dir.lower)) {
    const whiteout = isDir(dir.upper) ? await dir.upper!.lookup(WHITEOUT_PREFIX + name, KCTX) : null;
    if (!whiteout) l = await dir.lower!.lookup(name, KCTX);
  }
  if (!u && !l) return null;
  // The upper entry hides the lower one's data; only two directories merge (step looks into
  // lower children only when the lower entry is a directory). `lower` still tells that a
  // whiteout is needed when the name goes away.
  return { upper: u, lower: l };
}

export class UnionInode extends InodeBase {
  readonly fs: UnionFs;
  readonly ino: bigint;
  readonly filetype: FileType;
  private readonly ownPath: string[];
  private cached: Layers;
  private gen: number;
  /** Directories: children looked up at generation `childGen` (null: absent). */
  private children: Map<string, UnionInode | null> | null = null;
  private childGen = -1;

  constructor(fs: UnionFs, path: string[], layers: Layers) {
    super();
    this.fs = fs;
    this.ownPath = path;
    this.cached = layers;
    this.gen = fs.gen;
    const vis = layers.upper ?? layers.lower!;
    this.filetype = vis.filetype;
    this.ino = layers.lower ? layers.lower.ino << 1n : (layers.upper!.ino << 1n) | 1n;
    if (this.filetype === FileType.DIRECTORY) fs.noteDir(this.ino, path);
  }

  get path(): string[] {
    return this.filetype === FileType.DIRECTORY ? this.fs.pathOf(this.ino, this.ownPath) : this.ownPath;
  }

  /** Current layers (re-resolved after any change made through the union). */
  async layers(): Promise<Layers> {
    if (this.gen !== this.fs.gen) {
      const l = await this.fs.resolve(this.path);
      if (!l) throw sysErr(Errno.NOENT, "unionfs: entry vanished");
      this.cached = l;
      this.gen = this.fs.gen;
    }
    return this.cached;
  }

  private async visible(): Promise<InodeImpl> {
    const l = await this.layers();
    return (l.upper ?? l.lower)!;
  }

  /** The visible layer's inode when the cached resolution is current (no await), else null. */
  private visibleNow(): InodeImpl | null {
    return this.gen === this.fs.gen ? (this.cached.upper ?? this.cached.lower)! : null;
  }

  async stat(): Promise<Stat> {
    const st = await (await this.visible()).stat();
    return { ...st, dev: this.fs.dev, ino: this.ino };
  }

  override async setTimes(atim: bigint, mtim: bigint, fstflags: number): Promise<void> {
    const upper = await this.copyUp();
    await upper.setTimes(atim, mtim, fstflags);
    this.fs.changed();
  }

  override open(opts: InodeOpenOptions, ctx: FsCtx): OpenFile | Promise<OpenFile> {
    // Fast path: nothing to copy up and the layers are known; the layer may open synchronously.
    const now = this.visibleNow();
    if (now && (!(opts.write || opts.truncate) || now === this.cached.upper)) {
      const inner = now.open(opts, ctx);
      return inner instanceof Promise ? inner.then((f) => new UnionFile(this, f, opts)) : new UnionFile(this, inner, opts);
    }
    return this.openSlow(opts, ctx);
  }

  private async openSlow(opts: InodeOpenOptions, ctx: FsCtx): Promise<OpenFile> {
    const inner = opts.write || opts.truncate ? await (await this.copyUp()).open(opts, ctx) : await (await this.visible()).open(opts, ctx);
    return new UnionFile(this, inner, opts);
  }

  override async readlink(ctx: FsCtx): Promise<string> {
    if (this.filetype !== FileType.SYMBOLIC_LINK) throw sysErr(Errno.INVAL, "not a symlink");
    return (await this.visible()).readlink(ctx);
  }

  private dirOnly(): void {
    if (this.filetype !== FileType.DIRECTORY) throw sysErr(Errno.NOTDIR);
  }

  override lookup(name: string, _ctx: FsCtx): UnionInode | null | Promise<UnionInode | null> {
    this.dirOnly();
    if (name.startsWith(WHITEOUT_PREFIX)) return null;
    // Nothing changed through the union since the last lookup of `name` (the layers are ours
    // alone): the answer stands, synchronously.
    if (this.childGen === this.fs.gen) {
      const hit = this.children!.get(name);
      if (hit !== undefined) return hit;
    } else {
      this.children = null;
    }
    return this.lookupLayers(name);
  }

  private async lookupLayers(name: string): Promise<UnionInode | null> {
    const gen = this.fs.gen;
    const l = await step(await this.layers(), name);
    const child = l ? new UnionInode(this.fs, [...this.path, name], l) : null;
    if (gen === this.fs.gen) {
      if (this.childGen !== gen || !this.children || this.children.size >= MAX_CACHED_CHILDREN) {
        this.children = new Map();
        this.childGen = gen;
      }
      this.children.set(name, child);
    }
    return child;
  }

  override async list(_ctx: FsCtx): Promise<ListEntry[]> {
    this.dirOnly();
    const l = await this.layers();
    const out: ListEntry[] = [];
    const upperNames = new Set<string>();
    const whiteouts = new Set<string>();
    const upperEntries = isDir(l.upper) ? await l.upper!.list(KCTX) : [];
    for (const e of upperEntries) {
      if (e.name.startsWith(WHITEOUT_PREFIX)) whiteouts.add(e.name.slice(WHITEOUT_PREFIX.length));
      else upperNames.add(e.name);
    }
    const lowerEntries = isDir(l.lower) ? await l.lower!.list(KCTX) : [];
    const lowerByName = new Map<string, ListEntry>();
    for (const e of lowerEntries) if (!whiteouts.has(e.name)) lowerByName.set(e.name, e);
    for (const e of upperEntries) {
      if (!upperNames.has(e.name)) continue;
      const low = lowerByName.get(e.name);
      out.push({ name: e.name, filetype: e.filetype, ino: low ? low.ino << 1n : (e.ino << 1n) | 1n });
    }
    for (const e of lowerByName.values()) {
      if (!upperNames.has(e.name)) out.push({ name: e.name, filetype: e.filetype, ino: e.ino << 1n });
    }
    return out;
  }

  private reserved(name: string): void {
    if (name.startsWith(WHITEOUT_PREFIX)) throw sysErr(Errno.PERM, `unionfs: names starting with ${WHITEOUT_PREFIX} are reserved`);
  }

  override async create(name: string, kind: CreateKind, mode: number): Promise<InodeImpl> {
    this.dirOnly();
    this.reserved(name);
    if (await this.lookup(name, KCTX)) throw sysErr(Errno.EXIST);
    const upper = await this.copyUp();
    await upper.create(name, kind, mode);
    this.fs.changed();
    const child = await this.lookup(name, KCTX);
    if (!child) throw sysErr(Errno.IO, "unionfs: created entry not visible");
    return child;
  }

  override async symlink(name: string, target: string): Promise<void> {
    this.dirOnly();
    this.reserved(name);
    if (await this.lookup(name, KCTX)) throw sysErr(Errno.EXIST);
    await (await this.copyUp()).symlink(name, target);
    this.fs.changed();
  }

  override async link(name: string, target: InodeImpl): Promise<void> {
    this.dirOnly();
    this.reserved(name);
    if (!(target instanceof UnionInode) || target.fs !== this.fs) throw sysErr(Errno.XDEV);
    if (await this.lookup(name, KCTX)) throw sysErr(Errno.EXIST);
    const src = await target.copyUp();
    await (await this.copyUp()).link(name, src);
    this.fs.changed();
  }

  /** Hide a lower `name` by a whiteout in this directory's upper layer. */
  private async whiteout(name: string): Promise<void> {
    const upper = await this.copyUp();
    if (!(await upper.lookup(WHITEOUT_PREFIX + name, KCTX))) await upper.create(WHITEOUT_PREFIX + name, "file", 0o600);
  }

  override async unlink(name: string): Promise<void> {
    this.dirOnly();
    const child = await this.lookup(name, KCTX);
    if (!child) throw sysErr(Errno.NOENT);
    if (child.filetype === FileType.DIRECTORY) throw sysErr(Errno.ISDIR);
    const cl = await child.layers();
    if (cl.lower) await this.whiteout(name);
    if (cl.upper) await (await this.copyUp()).unlink(name);
    this.fs.changed();
  }

  override async rmdir(name: string): Promise<void> {
    this.dirOnly();
    const child = await this.lookup(name, KCTX);
    if (!child) throw sysErr(Errno.NOENT);
    if (child.filetype !== FileType.DIRECTORY) throw sysErr(Errno.NOTDIR);
    if ((await child.list(KCTX)).length > 0) throw sysErr(Errno.NOTEMPTY);
    const cl = await child.layers();
    if (cl.lower) await this.whiteout(name);
    if (cl.upper) {
      await clearWhiteouts(cl.upper);
      await (await this.copyUp()).rmdir(name);
    }
    this.fs.changed();
  }

  override async rename(oldName: string, newDir: InodeImpl, newName: string): Promise<void> {
    this.dirOnly();
    if (!(newDir instanceof UnionInode) || newDir.fs !== this.fs) throw sysErr(Errno.XDEV);
    this.reserved(newName);
    const src = await this.lookup(oldName, KCTX);
    if (!src) throw sysErr(Errno.NOENT);
    const dst = await newDir.lookup(newName, KCTX);
    const srcIsDir = src.filetype === FileType.DIRECTORY;
    if (dst) {
      const dstIsDir = dst.filetype === FileType.DIRECTORY;
      if (srcIsDir && !dstIsDir) throw sysErr(Errno.NOTDIR);
      if (!srcIsDir && dstIsDir) throw sysErr(Errno.ISDIR);
      if (dstIsDir && (await dst.list(KCTX)).length > 0) throw sysErr(Errno.NOTEMPTY);
    }
    const srcHadLower = (await src.layers()).lower !== null;
    // Everything that moves must live in the upper layer.
    if (srcIsDir) await src.copyUpTree();
    else await src.copyUp();
    const oldPath = src.path;
    const fromUpper = await this.copyUp();
    const toUpper = await newDir.copyUp();
    if (dst) {
      const dl = await dst.layers();
      if (dl.lower) await newDir.whiteout(newName);
      if (dl.upper && isDir(dl.upper)) await clearWhiteouts(dl.upper);
    }
    await fromUpper.rename(oldName, toUpper, newName);
    if (srcHadLower) await this.whiteout(oldName);
    if (srcIsDir) this.fs.movedDir(oldPath, [...newDir.path, newName]);
    this.fs.changed();
  }

  /** Make sure this entry exists in the upper layer (with its parents); returns the upper inode. */
  async copyUp(): Promise<InodeImpl> {
    const l = await this.layers();
    if (l.upper) return l.upper;
    const path = this.path;
    // Walk down from the root, copying each missing directory.
    let parentUpper = await this.fs.upperFs.root();
    let cur: Layers = { upper: parentUpper, lower: await this.fs.lowerFs.root() };
    for (let i = 0; i < path.length; i++) {
      const name = path[i]!;
      const next = await step(cur, name);
      if (!next) throw sysErr(Errno.NOENT, "unionfs: copy-up source vanished");
      if (!next.upper) next.upper = await copyEntry(next.lower!, parentUpper, name);
      cur = next;
      parentUpper = next.upper;
    }
    this.fs.changed();
    this.cached = cur;
    this.gen = this.fs.gen;
    return cur.upper!;
  }

  /** Copy this directory and everything visible below it into the upper layer. */
  async copyUpTree(): Promise<void> {
    await this.copyUp();
    for (const e of await this.list(KCTX)) {
      const child = await this.lookup(e.name, KCTX);
      if (!child) continue;
      if (child.filetype === FileType.DIRECTORY) await child.copyUpTree();
      else await child.copyUp();
    }
  }
}

/** Remove the whiteout files of an (otherwise empty) upper directory. */
async function clearWhiteouts(dir: InodeImpl): Promise<void> {
  for (const e of await dir.list(KCTX)) if (e.name.startsWith(WHITEOUT_PREFIX)) await dir.unlink(e.name);
}

/** Copy one lower entry (not its children) into `parent` of the upper layer as `name`. */
async function copyEntry(src: InodeImpl, parent: InodeImpl, name: string): Promise<InodeImpl> {
  const st = await src.stat();
  if (src.filetype === FileType.SYMBOLIC_LINK) {
    await parent.symlink(name, await src.readlink(KCTX));
    const made = await parent.lookup(name, KCTX);
    if (!made) throw sysErr(Errno.IO, "unionfs: copy-up failed");
    return made;
  }
  if (src.filetype !== FileType.DIRECTORY && src.filetype !== FileType.REGULAR_FILE) {
    throw sysErr(Errno.NOTSUP, "unionfs: cannot copy up a special file");
  }
  // The upper copy must stay writable by us (a read-only image file or directory would refuse
  // the copy or its new children on a host where we are not root): files get their mode back
  // through the open handle after the copy; directories keep owner rwx.
  const isDirectory = src.filetype === FileType.DIRECTORY;
  const made = await parent.create(name, isDirectory ? "dir" : "file", isDirectory ? st.mode | 0o700 : st.mode | 0o200);
  if (src.filetype === FileType.REGULAR_FILE) {
    const path = "/.copy-up";
    const from = await src.open({ read: true, write: false, fdflags: 0, truncate: false, path }, KCTX);
    const to = await made.open({ read: false, write: true, fdflags: 0, truncate: false, path }, KCTX);
    try {
      const buf = new Uint8Array(Math.min(COPY_CHUNK, Math.max(1, Number(st.size))));
      let off = 0n;
      for (;;) {
        const n = await from.pread([buf], off);
        if (n === 0) break;
        let done = 0;
        while (done < n) done += await to.pwrite([buf.subarray(done, n)], off + BigInt(done));
        off += BigInt(n);
      }
      if (canSetMode(to) && (st.mode | 0o200) !== st.mode) await to.setMode(st.mode);
    } finally {
      await from.release();
      await to.release();
    }
  }
  await made.setTimes(st.atim, st.mtim, FstFlags.ATIM | FstFlags.MTIM);
  return made;
}

/**
 * An open union file: the layer's own description, with stat showing the union's identity and
 * setTimes/setSize copying a lower file up first.
 */
class UnionFile extends FileBase {
  private readonly inode: UnionInode;
  private readonly inner: OpenFile;
  private copied: InodeImpl | null = null;

  constructor(inode: UnionInode, inner: OpenFile, opts: InodeOpenOptions) {
    super(inner.filetype, { readable: opts.read, writable: opts.write, flags: opts.fdflags, path: opts.path });
    this.inode = inode;
    this.inner = inner;
  }

  // The kernel changes status flags (APPEND, NONBLOCK) on this object: pass them on.
  override read(iovs: Uint8Array[]) { this.inner.flags = this.flags; return this.inner.read(iovs); }
  override write(iovs: Uint8Array[]) { this.inner.flags = this.flags; return this.inner.write(iovs); }
  override pread(iovs: Uint8Array[], offset: bigint) { return this.inner.pread(iovs, offset); }
  override pwrite(iovs: Uint8Array[], offset: bigint) { return this.inner.pwrite(iovs, offset); }
  override seek(offset: bigint, whence: number) { return this.inner.seek(offset, whence); }
  override tell() { return this.inner.tell(); }
  override sync() { return this.inner.sync(); }
  override datasync() { return this.inner.datasync(); }
  override advise(offset: bigint, len: bigint, advice: number) { return this.inner.advise(offset, len, advice); }
  override allocate(offset: bigint, len: bigint) { return this.inner.allocate(offset, len); }
  override readdir(cookie: bigint): DirEntry[] | Promise<DirEntry[]> { return this.inner.readdir(cookie); }
  override poll() { return this.inner.poll(); }
  override release() { return this.inner.release(); }

  override async stat(): Promise<Stat> {
    const st = await (this.copied ?? this.inner).stat();
    return { ...st, dev: this.inode.fs.dev, ino: this.inode.ino };
  }
  override setSize(size: bigint) {
    return this.inner.setSize(size);
  }
  override async setTimes(atim: bigint, mtim: bigint, fstflags: number): Promise<void> {
    // futimens on a read-only descriptor is allowed: the times live in the upper copy.
    await this.inode.setTimes(atim, mtim, fstflags);
    // A read-only description of a lower file keeps reading the lower data; stat shows the copy.
    this.copied ??= await this.inode.copyUp();
  }
}
