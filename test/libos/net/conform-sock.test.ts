/**
 * Differential conformance of BSD sockets (issue 8, "errno exactly as Linux"): three C programs
 * (test/guest/net/conform_sock_tcp.c, conform_sock_udp_unix.c, conform_sock_misc.c, with their
 * shared printers in conform_sock.h) exercise TCP v4/v6, UDP v4/v6, AF_UNIX stream/dgram and
 * socketpair: socket options real servers set (SO_REUSEADDR/REUSEPORT, SO_KEEPALIVE and its
 * TCP_KEEPIDLE/KEEPINTVL/KEEPCNT tuning (ENOPROTOOPT until 2026-12-04), TCP_NODELAY,
 * SO_RCVBUF/SNDBUF doubled, SO_LINGER, SO_RCVTIMEO/SNDTIMEO, SO_ERROR, SO_TYPE, SO_DOMAIN,
 * SO_PROTOCOL, SO_ACCEPTCONN, IPV6_V6ONLY), optlen handling, unknown options and levels, and the
 * errno of every misuse (bind twice / in use, listen on UDP, accept on a non-listener, connect
 * twice, send/recv/shutdown unconnected, ENOTSOCK, EBADF...), MSG_PEEK/DONTWAIT/TRUNC/WAITALL,
 * zero-length sends, SHUT_WR EOF, ECONNREFUSED blocking and non-blocking, SOCK_NONBLOCK/CLOEXEC.
 *
 * The LINUX_* strings below are each program's output on Linux 6.18 (gcc -O2 -pthread, run
 * natively): each test asserts occlum-ts prints exactly the same. The programs run in order, as
 * the one program they were split from did. Lengths of sockaddr_in6 print as "sizeof" (the
 * libc's is 32 bytes, Linux's 28: an ABI difference, not a behaviour one).
 */
import { test, before, after } from "node:test";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { assertPrintsLinux, makeInstance, run, type Instance } from "../helpers.ts";

const skip = posixSkip();
let inst: Instance;

const PROGRAMS = ["conform_sock_tcp", "conform_sock_udp_unix", "conform_sock_misc"] as const;

before(async () => {
  if (skip) return;
  const programs: Record<string, string> = {};
  for (const name of PROGRAMS) programs[`/bin/${name}`] = await buildGuest(`test/guest/net/${name}.c`, { mode: "posix" });
  inst = await makeInstance({ programs });
});

after(async () => {
  await inst?.cleanup();
});

async function assertLinux(name: (typeof PROGRAMS)[number], linux: string): Promise<void> {
  assertPrintsLinux(await run(inst, `/bin/${name}`), linux, `${name} `);
}

// Copied from the native runs: for p in tcp udp_unix misc; do
//   gcc -O2 -pthread -o /tmp/cs_$p test/guest/net/conform_sock_$p.c && /tmp/cs_$p; done
const LINUX_TCP = `== tcp4
tcp SO_ERROR: 0 len=4
tcp SO_ACCEPTCONN: 0 len=4
tcp SO_REUSEADDR: 0 len=4
tcp SO_KEEPALIVE: 0 len=4
tcp SO_TYPE: STREAM len=4
tcp SO_DOMAIN: AF_INET
tcp SO_PROTOCOL: TCP
SO_REUSEPORT: 0 len=4
TCP_NODELAY: 0 len=4
getsockname unbound: AF_INET 0.0.0.0 port=0 len=sizeof
getpeername unconnected: -1 ENOTCONN
send unconnected: -1 EPIPE
write unconnected: -1 EPIPE
recv unconnected: -1 ENOTCONN
read unconnected: -1 ENOTCONN
accept not listening: -1 EINVAL
shutdown unconnected: -1 ENOTCONN
set SO_REUSEADDR=1: 0
SO_REUSEADDR: 1 len=4
set SO_REUSEADDR=0: 0
SO_REUSEADDR: 0 len=4
set SO_REUSEPORT=1: 0
SO_REUSEPORT: 1 len=4
set SO_REUSEPORT=0: 0
set SO_KEEPALIVE=1: 0
SO_KEEPALIVE: 1 len=4
set TCP_NODELAY=1: 0
TCP_NODELAY: 1 len=4
set TCP_NODELAY=5: 0
TCP_NODELAY: 1 len=4
set SO_RCVBUF=8192: 0
SO_RCVBUF: 16384 len=4
set SO_SNDBUF=16384: 0
SO_SNDBUF: 32768 len=4
set SO_SNDBUF=1: 0
SO_SNDBUF: 4608 len=4
setsockopt short optlen: -1 EINVAL
setsockopt optlen 0: -1 EINVAL
getsockopt short optlen: 0 len=2 low16=1
getsockopt long optlen: 0 len=4
SO_LINGER default: 0 onoff=0 linger=0 len=8
set SO_LINGER 1,5: 0
SO_LINGER: 0 onoff=1 linger=5 len=8
set SO_LINGER short: -1 EINVAL
set SO_LINGER 0,0: 0
set SO_RCVTIMEO 1.5s: 0
SO_RCVTIMEO: 0 1.500000 len=16
set SO_RCVTIMEO 0: 0
getsockopt unknown SOL_SOCKET: -1 ENOPROTOOPT
setsockopt unknown SOL_SOCKET: -1 ENOPROTOOPT
getsockopt unknown TCP: -1 ENOPROTOOPT
setsockopt IPV6_V6ONLY on v4: -1 ENOPROTOOPT
set SO_ACCEPTCONN: -1 ENOPROTOOPT
set SO_TYPE: -1 ENOPROTOOPT
setsockopt unknown TCP: -1 ENOPROTOOPT
setsockopt unknown level: -1 ENOPROTOOPT
getsockopt unknown level: -1 EOPNOTSUPP
TCP_NODELAY short optlen: -1 EINVAL
bind: 0
getsockname bound: AF_INET 127.0.0.1 port>0 len=sizeof
bind twice: -1 EINVAL
listen: 0
listen again: 0
SO_ACCEPTCONN listening: 1 len=4
recv on listening: -1 ENOTCONN
send on listening: -1 EPIPE
getpeername listening: -1 ENOTCONN
connect on listening: -1 EISCONN
accept nothing pending: -1 EAGAIN
bind in use: -1 EADDRINUSE
set SO_REUSEADDR=1: 0
bind in use REUSEADDR (listening): -1 EADDRINUSE
connect: 0
connect twice: -1 EISCONN
accept: 0
accept peer: AF_INET port==client:1 len=16
getpeername connected: AF_INET 127.0.0.1 port>0 len=sizeof
getsockname accepted: AF_INET 127.0.0.1 port>0 len=sizeof
accepted port==listener: 1
accepted SO_ERROR: 0 len=4
accepted SO_ACCEPTCONN: 0 len=4
accepted SO_REUSEADDR: 0 len=4
accepted SO_KEEPALIVE: 1 len=4
accepted SO_TYPE: STREAM len=4
accepted SO_DOMAIN: AF_INET
accepted SO_PROTOCOL: TCP
accepted TCP_NODELAY: 1 len=4
getsockname short len: 0 len=16 family=AF_INET
send 0 bytes: 0
recv peek dontwait empty: -1 EAGAIN
recv dontwait empty: -1 EAGAIN
send hello: 5
recv peek: 5
recv peek dontwait 2: 2
recv 0 bytes: 0
recv: 5
data: hello
sendto connected tcp with addr: 2
recv ab: 2
shutdown SHUT_WR: 0
peer read EOF: 0
peer read EOF again: 0
send after SHUT_WR: -1 EPIPE
peer writes back: 4
read after own SHUT_WR: 4
shutdown SHUT_WR twice: 0
shutdown bad how: -1 EINVAL
SO_ERROR connected: 0 len=4
read after peer close: 0
connect refused: -1 ECONNREFUSED
SO_ERROR after refused: 0 len=4
nonblocking connect refused: EINPROGRESS|ECONNREFUSED
SO_ERROR nonblocking: ECONNREFUSED
SO_ERROR read twice: 0 len=4
nonblocking connect: EINPROGRESS
SO_ERROR after connect: 0 len=4
connect again after completion: 0
== tcp6
socket v6: 0
IPV6_V6ONLY default: 0 len=4
set IPV6_V6ONLY=1: 0
IPV6_V6ONLY: 1 len=4
getsockname v6 unbound: AF_INET6 :: port=0 len=sizeof
bind ::1: 0
getsockname v6 bound: AF_INET6 ::1 port>0 len=sizeof
set IPV6_V6ONLY after bind=0: -1 EINVAL
bind v6 socket to v4 addr: -1 EINVAL
bind v4 socket to v6 addr: -1 EAFNOSUPPORT
bind v4 short addrlen: -1 EINVAL
listen v6: 0
connect v6: 0
accept v6: 0
getpeername v6: AF_INET6 ::1 port>0 len=sizeof
accepted IPV6_V6ONLY: 1 len=4
bind [::]: 0
listen [::]: 0
v4 connect to dual-stack: 0
dual-stack peer: AF_INET6 ::ffff:127.0.0.1 port>0 len=sizeof
dual-stack local: AF_INET6 ::ffff:127.0.0.1 port>0 len=sizeof
TCP_KEEPIDLE default: 7200 len=4
TCP_KEEPINTVL default: 75 len=4
TCP_KEEPCNT default: 9 len=4
set TCP_KEEPIDLE 30=30: 0
TCP_KEEPIDLE: 30 len=4
set TCP_KEEPIDLE 0=0: -1 EINVAL
set TCP_KEEPIDLE 32768=32768: -1 EINVAL
set TCP_KEEPIDLE 32767=32767: 0
set TCP_KEEPINTVL 10=10: 0
set TCP_KEEPINTVL 0=0: -1 EINVAL
set TCP_KEEPINTVL 32768=32768: -1 EINVAL
TCP_KEEPINTVL: 10 len=4
set TCP_KEEPCNT 5=5: 0
set TCP_KEEPCNT 128=128: -1 EINVAL
set TCP_KEEPCNT -1=-1: -1 EINVAL
TCP_KEEPCNT: 5 len=4
TCP_KEEPIDLE optlen 2: -1 EINVAL
TCP_KEEPCNT get len 2: 0 len=2 low half 5
bind: 0
listen: 0
getsockname: 0
connect: 0
accepted TCP_KEEPIDLE: 32767 len=4
accepted TCP_KEEPINTVL: 10 len=4
accepted TCP_KEEPCNT: 5 len=4
connected TCP_KEEPIDLE: 7200 len=4
set UDP TCP_KEEPIDLE=30: -1 ENOPROTOOPT
UDP TCP_KEEPIDLE get: -1 EOPNOTSUPP
set unix TCP_KEEPIDLE=30: -1 EOPNOTSUPP
`;

const LINUX_UDP_UNIX = `== udp
udp SO_ERROR: 0 len=4
udp SO_ACCEPTCONN: 0 len=4
udp SO_REUSEADDR: 0 len=4
udp SO_KEEPALIVE: 0 len=4
udp SO_TYPE: DGRAM len=4
udp SO_DOMAIN: AF_INET
udp SO_PROTOCOL: UDP
udp getsockname unbound: AF_INET 0.0.0.0 port=0 len=sizeof
udp getpeername unconnected: -1 ENOTCONN
udp listen: -1 EOPNOTSUPP
udp accept: -1 EOPNOTSUPP
udp shutdown unconnected: -1 ENOTCONN
udp send unconnected: -1 EDESTADDRREQ
udp TCP_NODELAY: -1 ENOPROTOOPT
set udp SO_RCVBUF=4096: 0
udp SO_RCVBUF: 8192 len=4
udp bind: 0
udp getsockname bound: AF_INET 127.0.0.1 port>0 len=sizeof
udp bind twice: -1 EINVAL
udp bind in use: -1 EADDRINUSE
udp sendto: 4
udp sender autobound: AF_INET 0.0.0.0 port>0 len=sizeof
udp recvfrom: 4
udp from: AF_INET port==sender:1 len=16
udp sendto 10: 10
udp recv 4 of 10: 4
udp recv after truncation: -1 EAGAIN
udp sendto 10 again: 10
udp recv MSG_TRUNC 4: 10
udp sendto 10 for recvmsg: 10
udp recvmsg: 3 MSG_TRUNC=1
udp send 0 bytes: 0
udp recv 0-byte datagram: 0
udp recv peek dontwait empty: -1 EAGAIN
udp sendto for peek: 4
udp recv peek: 4
udp recv after peek: 4
udp connect: 0
udp getpeername connected: AF_INET 127.0.0.1 port>0 len=sizeof
udp send connected: 2
udp recv c1: 2
udp sendto other addr while connected: 2
udp third got it: 2
udp disconnect (AF_UNSPEC): 0
udp getpeername after disconnect: -1 ENOTCONN
udp shutdown connected: -1 ENOTCONN
udp send after SHUT_WR: -1 EPIPE
== unix
socketpair stream: 0
unix stream SO_ERROR: 0 len=4
unix stream SO_ACCEPTCONN: 0 len=4
unix stream SO_REUSEADDR: 0 len=4
unix stream SO_KEEPALIVE: 0 len=4
unix stream SO_TYPE: STREAM len=4
unix stream SO_DOMAIN: AF_UNIX
unix stream SO_PROTOCOL: 0
unix TCP_NODELAY: -1 EOPNOTSUPP
socketpair getsockname: AF_UNIX len=2 port=0 len=2
socketpair getpeername: AF_UNIX len=2 port=0 len=2
socketpair listen: -1 EINVAL
socketpair accept: -1 EINVAL
socketpair connect again: -1 EINVAL
unix send 0: 0
unix recv dontwait empty: -1 EAGAIN
unix send abc: 3
unix recv peek: 3
unix recv 2: 2
unix recv rest: 1
unix recv MSG_TRUNC stream: -1 EAGAIN
unix shutdown SHUT_WR: 0
unix peer read EOF: 0
unix send after SHUT_WR: -1 EPIPE
unix peer sends back: 2
unix read back: 2
unix shutdown SHUT_RD: 0
unix read after SHUT_RD: 0
unix read after peer close: 0
unix write after peer close: -1 EPIPE
socketpair dgram: 0
unix dgram SO_ERROR: 0 len=4
unix dgram SO_ACCEPTCONN: 0 len=4
unix dgram SO_REUSEADDR: 0 len=4
unix dgram SO_KEEPALIVE: 0 len=4
unix dgram SO_TYPE: DGRAM len=4
unix dgram SO_DOMAIN: AF_UNIX
unix dgram SO_PROTOCOL: 0
unix dgram listen: -1 EOPNOTSUPP
unix dgram send 10: 10
unix dgram recv 4: 4
unix dgram recv after trunc: -1 EAGAIN
unix dgram send 10 again: 10
unix dgram recv MSG_TRUNC: 10
unix dgram send 0: 0
unix dgram recv 0: 0
unix dgram recv empty: -1 EAGAIN
unix dgram shutdown: 0
unix dgram send after shutdown: -1 EPIPE
unix unbound getsockname: AF_UNIX len=2 port=0 len=2
unix getpeername unconnected: -1 ENOTCONN
unix send unconnected: -1 ENOTCONN
unix recv unconnected: -1 EINVAL
unix shutdown unconnected: 0
unix accept not listening: -1 EINVAL
unix connect no such path: -1 ENOENT
unix bind: 0
unix bind twice: -1 EADDRINUSE
unix bind in use: -1 EADDRINUSE
unix connect to non-listening: -1 ECONNREFUSED
unix listen: 0
unix SO_ACCEPTCONN: 1 len=4
unix connect: 0
unix connect twice: -1 EISCONN
unix accept: 0
unix recv on listening: -1 EINVAL
unix dgram connect to stream: -1 EPROTOTYPE
unix dgram send unconnected: -1 ENOTCONN
udp bind a: 0
udp getsockname a: 0
udp connect b to a: 0
udp getsockname b: 0
udp b local after connect: 127.0.0.1 port>0 1
udp connect a to b: 0
udp shutdown SHUT_RD: 0
udp recv dontwait after SHUT_RD: -1 EAGAIN
udp recv blocking after SHUT_RD: 0
udp send to the shut socket: 2
udp recv it after SHUT_RD: 2
udp disconnect b: 0
udp getsockname b: 0
udp b local after disconnect: 0.0.0.0
`;

const LINUX_MISC = `== misc
socket bad domain: -1 EAFNOSUPPORT
socket bad type: -1 EINVAL
socket stream/udp: -1 EPROTONOSUPPORT
socket dgram/tcp: -1 EPROTONOSUPPORT
socketpair AF_INET: -1 EOPNOTSUPP
getsockopt on pipe: -1 ENOTSOCK
setsockopt on pipe: -1 ENOTSOCK
bind on pipe: -1 ENOTSOCK
listen on pipe: -1 ENOTSOCK
accept on pipe: -1 ENOTSOCK
connect on pipe: -1 ENOTSOCK
shutdown on pipe: -1 ENOTSOCK
send on pipe: -1 ENOTSOCK
recv on pipe: -1 ENOTSOCK
getsockname on pipe: -1 ENOTSOCK
getpeername on pipe: -1 ENOTSOCK
getsockopt bad fd: -1 EBADF
setsockopt bad fd: -1 EBADF
bind bad fd: -1 EBADF
listen bad fd: -1 EBADF
accept bad fd: -1 EBADF
connect bad fd: -1 EBADF
shutdown bad fd: -1 EBADF
send bad fd: -1 EBADF
sendto bad fd: -1 EBADF
recv bad fd: -1 EBADF
recvfrom bad fd: -1 EBADF
getsockname bad fd: -1 EBADF
getpeername bad fd: -1 EBADF
== more
SOCK_NONBLOCK: 1
SOCK_CLOEXEC: 1
nonblocking recv unconnected: -1 ENOTCONN
bind nonblocking: 0
listen backlog 0: 0
accept4 nothing pending: -1 EAGAIN
connect to backlog-0 listener: 0
client autobound: AF_INET 127.0.0.1 port>0 len=sizeof
accept4: 0
accept4 NONBLOCK: 1 CLOEXEC: 1
accept4 bad flags: -1 EINVAL
accepted recv nonblocking: -1 EAGAIN
set SO_RCVTIMEO 0.1s: 0
recv timeout: -1 EAGAIN
set SO_SNDTIMEO 0.5s: 0
SO_SNDTIMEO: 0 0.500000
set SO_RCVTIMEO short: -1 EINVAL
SO_LINGER short len: 0 len=4 onoff=0
send 3: 3
recv MSG_WAITALL 3: 3
sendto unconnected tcp with addr: -1 EPIPE
tcp6 connect to sockaddr_in: -1 EINVAL
udp6 bind ::1: 0
udp6 getsockname: AF_INET6 ::1 port>0 len=sizeof
udp6 sendto: 3
udp6 recvfrom: 3
udp6 from: AF_INET6 port==sender:1 len==sizeof:1
udp6 IPV6_V6ONLY: 1 len=4
udp6 IPV6_V6ONLY: 1
udp recv nonblocking MSG_DONTWAIT: -1 EAGAIN
udp SHUT_RD unconnected: -1 ENOTCONN
udp recv after SHUT_RD: 0
== extra
getsockopt IPV6_V6ONLY on v4: -1 EOPNOTSUPP
recv MSG_OOB nothing urgent: -1 EINVAL
set udp SO_KEEPALIVE=1: 0
udp SO_KEEPALIVE: 1 len=4
udp set SO_LINGER: 0
set unix SO_SNDBUF=65536: 0
unix SO_SNDBUF: 131072 len=4
set unix SO_REUSEADDR=1: 0
unix SO_REUSEADDR: 1 len=4
REUSEPORT bind a: 0
REUSEPORT listen a: 0
REUSEPORT bind b same port: 0
REUSEPORT listen b: 0
bind non-local address: -1 EADDRNOTAVAIL
done
`;

test("TCP v4/v6 behaves as on Linux: options, optlen, errno of misuse, shutdown, refused and non-blocking connects", { skip, timeout: 60_000 }, async () => {
  await assertLinux("conform_sock_tcp", LINUX_TCP);
});

test("UDP and unix sockets behave as on Linux: truncation, peek, connect/disconnect, socketpairs, named sockets", { skip, timeout: 60_000 }, async () => {
  await assertLinux("conform_sock_udp_unix", LINUX_UDP_UNIX);
});

test("socket misuse, flags and timeouts behave as on Linux: ENOTSOCK/EBADF, SOCK_NONBLOCK/CLOEXEC, accept4, UDP v6", { skip, timeout: 60_000 }, async () => {
  await assertLinux("conform_sock_misc", LINUX_MISC);
});
