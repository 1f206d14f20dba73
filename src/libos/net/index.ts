/**
 * net/: kernel sockets and readiness. The syscall layer uses this surface:
 *   createSocket / createSocketpair     socket(2), socketpair(2) → KernelSocket (types.ts)
 *   pollFiles                           poll / select / poll_oneoff over any OpenFile
 *   createEpoll / epollWait / epollPark epoll_create1, epoll_ctl (EpollFile.ctl), epoll_wait
 *   UnixNamespace                       one per kernel: bound unix socket names
 */
export { createSocket, createSocketpair, type SocketServiceOptions } from "./socket-service.ts";
export { pollFiles, pollOnce, type PollEntry } from "./poll.ts";
export { createEpoll, epollPark, epollWait, NOT_READY, Epoll, EpollCtl, EpollFile, type EpollEvent, type EventData } from "./epoll.ts";
export { UnixNamespace, defaultUnixNamespace } from "./unix.ts";
export * from "./types.ts";
