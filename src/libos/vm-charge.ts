/**
 * The kernel heap budget (vm/kernel-heap.ts) as the hooks the kernel's buffers take: MemCharge
 * for pipe and socket rings (ipc/byte-ring.ts), ByteBudget for ramfs contents (fs/ramfs), and
 * CacheHeap for the VFS caches that can shrink (SEFS layer name lookups, fs/hostfs; the dentry
 * cache, fs/vfs/dentry.ts). Each
 * owner name shows in the ledger's byOwner (and so in --mem-report). Without a Vm nothing is
 * charged (undefined: the services fall back to unlimited).
 */
import type { MemCharge } from "./ipc/byte-ring.ts";
import type { ByteBudget, CacheHeap } from "./fs/index.ts";
import type { Vm } from "./vm/index.ts";

export const HeapOwner = { PIPE: "pipe", SOCKET: "socket", RAMFS: "ramfs", FS_CACHE: "fs-cache", DENTRY: "dentry", MQUEUE: "mqueue" } as const;

/** A MemCharge on the kernel heap for `who` (a refused charge: the ring's ENOMEM / ENOBUFS). */
export function heapCharge(vm: Vm | undefined, who: string): MemCharge | undefined {
  if (!vm) return undefined;
  const heap = vm.kernelHeap;
  return { charge: (bytes) => heap.tryCharge(bytes, who), uncharge: (bytes) => heap.uncharge(bytes, who) };
}

/** ramfs's signed budget callback on the kernel heap (a refusal: the write fails with ENOSPC). */
export function ramfsBudget(vm: Vm | undefined): ByteBudget | undefined {
  if (!vm) return undefined;
  const heap = vm.kernelHeap;
  return (delta) => {
    if (delta >= 0) return heap.tryCharge(delta, HeapOwner.RAMFS);
    heap.uncharge(-delta, HeapOwner.RAMFS);
    return true;
  };
}

/**
 * The kernel heap for a shrinkable VFS cache, charged as `who` (SEFS name lookups: fs-cache; the
 * dentry cache: dentry): it charges, and gives memory back before a charge fails.
 */
export function fsCacheHeap(vm: Vm | undefined, who: string = HeapOwner.FS_CACHE): CacheHeap | undefined {
  if (!vm) return undefined;
  const heap = vm.kernelHeap;
  return {
    charge: (bytes) => heap.tryCharge(bytes, who),
    uncharge: (bytes) => heap.uncharge(bytes, who),
    registerShrinker: (name, fn) => heap.registerShrinker(name, fn),
  };
}
