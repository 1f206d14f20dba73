/**
 * Path walk: components, `.` and `..`, symlinks (relative from the link's directory, absolute
 * from the LibOS root), mounts, and the limits Linux enforces (ELOOP after 40 links,
 * ENAMETOOLONG for a component over 255 bytes or a path over 4096).
 *
 * Never escapes `root`: `..` at the root stays there, and absolute paths and symlinks restart
 * at the root.
 */
import { Errno, sysErr } from "../../syscall/errno.ts";
import { FileType } from "../types.ts";
import type { Dentry } from "./dentry.ts";
import type { FsCtx, InodeImpl } from "./inode.ts";

export const MAX_SYMLINKS = 40;
export const NAME_MAX = 255;
export const PATH_MAX = 4096;

const encoder = new TextEncoder();

export function byteLength(s: string): number {
  // ASCII fast path: most names are.
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s.length : encoder.encode(s).length;
}

export interface Walker {
  readonly root: Dentry;
  readonly ctx: FsCtx;
  /** Symlinks followed so far in this resolution (shared by every step of one syscall). */
  links: number;
}

/** Where the last component of a path sits. `last` is "." for "/" and "" never. */
export interface ParentResult {
  dir: Dentry;
  last: string;
  /** The path ended with "/" (the last component must be a directory). */
  slash: boolean;
}

/** Linux: a path of PATH_MAX bytes or more (no room for its NUL) is ENAMETOOLONG. */
export function checkPath(path: string): void {
  if (path.length === 0) throw sysErr(Errno.NOENT, "empty path");
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short strings need no count.
  if (path.length * 3 >= PATH_MAX && byteLength(path) >= PATH_MAX) throw sysErr(Errno.NAMETOOLONG);
  if (path.includes("\0")) throw sysErr(Errno.INVAL, "NUL in path");
}

function split(path: string): { parts: string[]; abs: boolean; slash: boolean } {
  const abs = path.startsWith("/");
  const parts = path.split("/").filter((p) => p.length > 0);
  for (const p of parts) if (p.length * 3 > NAME_MAX && byteLength(p) > NAME_MAX) throw sysErr(Errno.NAMETOOLONG);
  const slash = path.endsWith("/") && parts.length > 0;
  return { parts, abs, slash };
}

/**
 * The child dentry of `dir` named `name` (not "." or ".."), mounts crossed; null if absent.
 * Synchronous when the file system answers synchronously (its own caches): the hot path of a
 * path walk then takes no microtask per component.
 */
export function lookupChild(w: Walker, dir: Dentry, name: string): Dentry | null | Promise<Dentry | null> {
  const cached = dir.children.get(name);
  if (cached?.mounted) return cached.top();
  const inode = dir.inode.lookup(name, w.ctx);
  if (inode instanceof Promise) return inode.then((i) => childDentry(dir, name, i));
  return childDentry(dir, name, inode);
}

function childDentry(dir: Dentry, name: string, inode: InodeImpl | null): Dentry | null {
  if (!inode) {
    dir.forget(name);
    return null;
  }
  return dir.child(name, inode).top();
}

function dotdot(w: Walker, d: Dentry): Dentry {
  if (d === w.root || !d.parent) return d;
  return d.parent.top();
}

/**
 * Walk all components but the last; the result's `dir` is a directory. Intermediate symlinks
 * are followed. The last component is returned unresolved ("." when the path is only slashes).
 */
export async function walkParent(w: Walker, start: Dentry, path: string): Promise<ParentResult> {
  checkPath(path);
  let { parts, abs, slash } = split(path);
  let cur = abs ? w.root : start;
  if (cur.inode.filetype !== FileType.DIRECTORY) throw sysErr(Errno.NOTDIR);
  if (parts.length === 0) return { dir: cur, last: ".", slash: false };
  // Pending components; symlink targets are spliced in front of the rest.
  let queue = parts;
  let i = 0;
  for (;;) {
    const name = queue[i]!;
    if (i === queue.length - 1) return { dir: cur, last: name, slash };
    i++;
    if (name === ".") continue;
    if (name === "..") {
      cur = dotdot(w, cur);
      continue;
    }
    const c = lookupChild(w, cur, name);
    const child = c instanceof Promise ? await c : c;
    if (!child) throw sysErr(Errno.NOENT);
    if (child.inode.filetype === FileType.SYMBOLIC_LINK) {
      const t = await followTarget(w, child);
      if (t.abs) cur = w.root;
      queue = [...t.parts, ...queue.slice(i)];
      i = 0;
      if (queue.length === 0) return { dir: cur, last: ".", slash };
      continue;
    }
    if (child.inode.filetype !== FileType.DIRECTORY) throw sysErr(Errno.NOTDIR);
    cur = child;
  }
}

/** Count one link and read its target, split. */
export async function followTarget(w: Walker, link: Dentry): Promise<{ parts: string[]; abs: boolean; slash: boolean }> {
  if (++w.links > MAX_SYMLINKS) throw sysErr(Errno.LOOP);
  const target = await link.inode.readlink(w.ctx);
  if (target.length === 0) throw sysErr(Errno.NOENT, "empty symlink");
  if (byteLength(target) >= PATH_MAX) throw sysErr(Errno.NAMETOOLONG);
  return split(target);
}

/** Resolve the last component of a walkParent result ("." and ".." included); null if absent. */
export function resolveLast(w: Walker, p: ParentResult): Dentry | null | Promise<Dentry | null> {
  if (p.last === ".") return p.dir;
  if (p.last === "..") return dotdot(w, p.dir);
  return lookupChild(w, p.dir, p.last);
}

/**
 * Resolve a whole path. With `follow`, a final symlink is followed (always when the path ends
 * with "/"). Returns the dentry, or throws ENOENT/ENOTDIR/ELOOP...
 */
export async function walkFull(w: Walker, start: Dentry, path: string, follow: boolean): Promise<Dentry> {
  let p = await walkParent(w, start, path);
  for (;;) {
    const r = resolveLast(w, p);
    const d = r instanceof Promise ? await r : r;
    if (!d) throw sysErr(Errno.NOENT);
    const isLink = d.inode.filetype === FileType.SYMBOLIC_LINK;
    if (isLink && (follow || p.slash)) {
      // A magic link is not resolved through its text ("pipe:[3]"): the caller opens it (Vfs.stat).
      if (d.inode.openLink) return d;
      p = await continueAt(w, p.dir, d, p.slash);
      continue;
    }
    if (p.slash && d.inode.filetype !== FileType.DIRECTORY) throw sysErr(Errno.NOTDIR);
    return d;
  }
}

/** After meeting a final symlink `link` in `dir`: the parent result of its target. */
export async function continueAt(w: Walker, dir: Dentry, link: Dentry, slash: boolean): Promise<ParentResult> {
  const t = await followTarget(w, link);
  const rel = t.parts.join("/") + (t.slash || slash ? "/" : "");
  if (t.parts.length === 0) return { dir: t.abs ? w.root : dir, last: ".", slash: false };
  return walkParent(w, t.abs ? w.root : dir, (t.abs ? "/" : "") + rel);
}
