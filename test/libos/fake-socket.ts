/**
 * In-memory sockets implementing net/socket.ts's SocketFile, for the sock_* tests: FakeSocket
 * echoes what it is sent, upper-cased; FakeListener hands out queued connections.
 */
import { FileBase } from "../../src/libos/fs/file-base.ts";
import { FileType, Ready, type OpenFile } from "../../src/libos/fs/types.ts";
import { EAGAIN_ERROR, Errno, sysErr } from "../../src/libos/syscall/errno.ts";
import { WaitQueue } from "../../src/libos/sched/wait-queue.ts";
import type { SocketFile } from "../../src/libos/net/socket.ts";

export class FakeSocket extends FileBase implements SocketFile {
  readonly isSocket = true as const;
  readonly waitQueue = new WaitQueue();
  private pending: number[] = [];
  private writeShut = false;

  constructor() {
    super(FileType.SOCKET_STREAM, { readable: true, writable: true });
  }
  accept(): OpenFile {
    throw sysErr(Errno.INVAL, "not listening");
  }
  send(iovs: Uint8Array[]): number {
    if (this.writeShut) throw sysErr(Errno.PIPE);
    let n = 0;
    for (const v of iovs) for (const b of v) {
      this.pending.push(b >= 0x61 && b <= 0x7a ? b - 32 : b);
      n++;
    }
    this.waitQueue.notifyAll();
    return n;
  }
  recv(iovs: Uint8Array[], _flags: number): [number, number] {
    if (this.pending.length === 0) throw EAGAIN_ERROR;
    let n = 0;
    for (const v of iovs) {
      const k = Math.min(v.byteLength, this.pending.length);
      v.set(this.pending.splice(0, k));
      n += k;
    }
    return [n, 0];
  }
  override read(iovs: Uint8Array[]): number {
    return this.recv(iovs, 0)[0];
  }
  override write(iovs: Uint8Array[]): number {
    return this.send(iovs);
  }
  shutdown(how: number): void {
    if (how & 2) this.writeShut = true;
  }
  override poll(): number {
    return (this.pending.length > 0 ? Ready.IN : 0) | (this.writeShut ? 0 : Ready.OUT);
  }
}

export class FakeListener extends FileBase implements SocketFile {
  readonly isSocket = true as const;
  readonly waitQueue = new WaitQueue();
  private readonly backlog: OpenFile[];

  constructor(backlog: OpenFile[]) {
    super(FileType.SOCKET_STREAM, { readable: true });
    this.backlog = backlog;
  }
  accept(): OpenFile {
    const c = this.backlog.shift();
    if (!c) throw EAGAIN_ERROR;
    return c;
  }
  recv(): [number, number] {
    throw sysErr(Errno.NOTCONN);
  }
  send(): number {
    throw sysErr(Errno.NOTCONN);
  }
  shutdown(): void {
    throw sysErr(Errno.NOTCONN);
  }
  override poll(): number {
    return this.backlog.length > 0 ? Ready.IN : 0;
  }
}
