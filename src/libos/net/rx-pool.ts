/**
 * Freed receive storage of one size (a TCP ring's or its spare's, tcp-receiver.ts), reused by the next
 * socket that needs storage of that size: fresh memory costs this VM ~1-2 ms of page faults per
 * 512 KiB once touched, ~3-5 ms per bulk connection. The owner gives storage back only once
 * nothing can write into it any more (for TCP: once the host socket has closed, since a host read
 * handed out before the release may land in it until then). The bytes are stale, never shown: a
 * ring hands out only bytes it has stored. Storage is uncharged while here (at most `max`
 * pieces); whoever takes one charges it.
 */
export class StoragePool {
  readonly #pieces: Uint8Array[] = [];
  readonly #pieceSize: number;
  readonly #max: number;

  constructor(pieceSize: number, max: number) {
    this.#pieceSize = pieceSize;
    this.#max = max;
  }

  /** Pieces waiting. */
  get size(): number {
    return this.#pieces.length;
  }

  /** A piece of `size` bytes, or undefined when none waits or the size is not the pool's. */
  take(size: number): Uint8Array | undefined {
    return size === this.#pieceSize ? this.#pieces.pop() : undefined;
  }

  /** Keeps those of `bufs` that have the pool's size, up to its maximum. */
  give(bufs: readonly Uint8Array[]): void {
    for (const b of bufs) if (b.byteLength === this.#pieceSize && this.#pieces.length < this.#max) this.#pieces.push(b);
  }
}
