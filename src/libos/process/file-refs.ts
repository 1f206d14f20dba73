/**
 * Reference counts of open file descriptions, by object: every fd (in any process's table, and
 * procfs's /proc/<pid>/fd/N reopen) that refers to a description holds one reference; the last
 * close calls its release(). Kept outside FdTable because descriptions are shared across tables
 * (dup, spawn inheritance).
 */
import type { OpenFile } from "../fs/types.ts";

const refs = new WeakMap<OpenFile, number>();

export function retainFile(f: OpenFile): void {
  refs.set(f, (refs.get(f) ?? 0) + 1);
}

/** Drop one reference; returns release()'s result when it was the last. */
export function releaseFile(f: OpenFile): void | Promise<void> {
  const n = (refs.get(f) ?? 1) - 1;
  if (n > 0) {
    refs.set(f, n);
    return;
  }
  refs.delete(f);
  const hooks = releaseHooks.get(f);
  if (hooks) {
    releaseHooks.delete(f);
    for (const h of hooks) h();
  }
  return f.release();
}

const releaseHooks = new WeakMap<OpenFile, Set<() => void>>();

/**
 * Run `fn` when the last reference to `f` goes, just before its release() (epoll forgets its
 * interests in the description then, as Linux's eventpoll_release). Returns the unsubscribe.
 */
export function onLastRelease(f: OpenFile, fn: () => void): () => void {
  let hooks = releaseHooks.get(f);
  if (!hooks) releaseHooks.set(f, (hooks = new Set()));
  hooks.add(fn);
  return () => void hooks.delete(fn);
}

export function fileRefCount(f: OpenFile): number {
  return refs.get(f) ?? 0;
}
