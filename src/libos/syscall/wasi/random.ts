/** random_get: bytes from the host CSPRNG (node's Web Crypto, 64 KiB per draw). */
import type { Thread } from "../../process/thread.ts";

export function random_get(_t: Thread, buf: Uint8Array): void {
  for (let off = 0; off < buf.byteLength; off += 65536) {
    const part = buf.subarray(off, Math.min(off + 65536, buf.byteLength));
    // Web Crypto refuses views of shared memory: fill a private copy then.
    if (part.buffer instanceof ArrayBuffer) crypto.getRandomValues(part as Uint8Array<ArrayBuffer>);
    else part.set(crypto.getRandomValues(new Uint8Array(part.byteLength)));
  }
}
