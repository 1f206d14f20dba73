/**
 * What the TCP sockets (tcp.ts) use of node:net beyond its public API, in one place: the module
 * itself, loaded on first use; a write below the Writable layer; and the user-buffer read hook
 * for sockets node:net accepted. Each falls back to the public API where a Node lacks the part.
 */
import type * as net from "node:net";

/** net.Socket's own write step, below the Writable stream layer (see `hostWrite`). */
type WriteGeneric = (writev: boolean, data: Uint8Array, encoding: string, cb: (err?: Error | null) => void) => unknown;
let writeGeneric: WriteGeneric | undefined;

/**
 * node:net, loaded by the first TCP socket: it pulls in Node's stream modules, which a program
 * without sockets should not pay for at start-up (~3 ms here).
 */
let netModule: typeof net | undefined;
export function hostNet(): typeof net {
  if (netModule) return netModule;
  netModule = process.getBuiltinModule("node:net");
  writeGeneric = (netModule.Socket.prototype as unknown as { _writeGeneric?: WriteGeneric })._writeGeneric;
  return netModule;
}

/**
 * Send `view` on the host socket; `cb` runs when the host has taken it (synchronously when the
 * write completed at once, the usual case). One write per call of `pump`, so the Writable layer
 * above net.Socket's `_writeGeneric` (buffering, corking, a nextTick per write to defer the
 * callback, 'drain') only costs: call the socket's write step directly. The callback then sees a
 * write error first, and must destroy the socket as the Writable layer would have ('error',
 * 'close'). Where a Node lacks `_writeGeneric`, the public write.
 */
export function hostWrite(s: net.Socket, view: Uint8Array, cb: (err?: Error | null) => void): void {
  if (writeGeneric === undefined || s.connecting) s.write(view, cb);
  else writeGeneric.call(s, false, view, "buffer", cb);
}

/**
 * node:net's onread hook for a socket it accepted (the option exists only for sockets we create):
 * installed through the same three fields the Socket constructor sets from `onread`. False when
 * this Node keeps them elsewhere; the socket then delivers 'data' events as usual.
 */
export function adoptUserBuffer(s: net.Socket, gen: () => Uint8Array, cb: (n: number, buf?: Uint8Array) => boolean): boolean {
  const syms = Object.getOwnPropertySymbols(s);
  const find = (d: string) => syms.find((x) => x.description === d);
  const kBuffer = find("kBuffer"), kBufferCb = find("kBufferCb"), kBufferGen = find("kBufferGen");
  const handle = (s as unknown as { _handle?: { useUserBuffer?: (b: Uint8Array) => void } })._handle;
  if (!kBuffer || !kBufferCb || !kBufferGen || typeof handle?.useUserBuffer !== "function") return false;
  const rec = s as unknown as Record<symbol, unknown>;
  // kBuffer is the buffer of the next read (node:net passes it to the callback with the count).
  const first = gen();
  rec[kBuffer] = first;
  rec[kBufferGen] = gen;
  rec[kBufferCb] = cb;
  handle.useUserBuffer(first);
  return true;
}
