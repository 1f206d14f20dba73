/**
 * Differential conformance of the int socket options WASIX cannot name (issue 8): IP_TOS, IP_TTL,
 * IPV6_UNICAST_HOPS, IPV6_TCLASS, SO_PRIORITY, SO_RCVLOWAT (with its effect on poll and on
 * blocking receives of TCP and unix stream sockets), SO_SNDLOWAT, TCP_CORK (a partial segment held
 * until uncorked, 200 ms or a shutdown), TCP_USER_TIMEOUT, TCP_DEFER_ACCEPT, TCP_QUICKACK
 * through sdk/libc/sockets.c's setsockopt/getsockopt wrappers and the kernel's
 * net/socket-base.ts: test/guest/net/conform_sockopt.c prints exactly what Linux prints. LINUX is
 * its output on Linux 6.18 (`gcc -O2 -pthread test/guest/net/conform_sockopt.c && ./a.out`, run natively,
 * as root: SO_PRIORITY takes any value with CAP_NET_ADMIN, which every LibOS process has).
 * Also: IP_TOS / IPV6_TCLASS reach the host TCP socket (Node's getTypeOfService reads it back).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { buildGuest, posixSkip } from "../../support/guest.ts";
import { assertPrintsLinux, makeInstance, run, type Instance } from "../helpers.ts";
import { TcpSocket } from "../../../src/libos/net/tcp.ts";
import { Domain, IpOpt, IpProto, Ipv6Opt } from "../../../src/libos/net/types.ts";

const skip = posixSkip();
let inst: Instance;

before(async () => {
  if (skip) return;
  inst = await makeInstance({ programs: { "/bin/conform_sockopt": await buildGuest("test/guest/net/conform_sockopt.c", { mode: "posix", flags: ["-pthread"] }) } });
});

after(async () => {
  await inst?.cleanup();
});

test("int socket options print what Linux prints", { skip }, async () => {
  assertPrintsLinux(await run(inst, "/bin/conform_sockopt"), LINUX);
});

test("IP_TOS / IPV6_TCLASS reach the host socket of a connected TCP socket", async () => {
  const net = await import("node:net");
  for (const [domain, host, level, name] of [
    [Domain.INET, "127.0.0.1", IpProto.IP, IpOpt.TOS],
    [Domain.INET6, "::1", IpProto.IPV6, Ipv6Opt.TCLASS],
  ] as const) {
    const srv = net.createServer(() => {});
    await new Promise<void>((r) => srv.listen(0, host, r));
    const port = (srv.address() as { port: number }).port;
    const s = new TcpSocket(domain);
    s.setsockopt(level, name, 0x20); // before connect: applied once connected
    try {
      await s.connect(domain === Domain.INET ? { family: "inet", addr: host, port } : { family: "inet6", addr: host, port });
    } catch {
      // EINPROGRESS: the connection completes in the background; wait for it below
    }
    const hostSocket = (): { getTypeOfService(): number } => (s as unknown as { sock: { getTypeOfService(): number } }).sock;
    for (let i = 0; i < 100 && s.poll() === 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(hostSocket().getTypeOfService(), 0x20, `${host}: set before connect`);
    s.setsockopt(level, name, 0x48);
    assert.equal(hostSocket().getTypeOfService(), 0x48, `${host}: set while connected`);
    s.release();
    srv.close();
  }
});

const LINUX = `inet stream
  get IP_TOS: 0 len 4
  set IP_TOS=16: ok
  get IP_TOS: 16 len 4
  set IP_TOS=19: ok
  get IP_TOS: 16 len 4
  set IP_TOS=256: ok
  get IP_TOS: 0 len 4
  set IP_TOS=-1: ok
  get IP_TOS: 252 len 4
  get IP_TTL: 64 len 4
  set IP_TTL=1: ok
  get IP_TTL: 1 len 4
  set IP_TTL=255: ok
  get IP_TTL: 255 len 4
  set IP_TTL=0: EINVAL
  get IP_TTL: 255 len 4
  set IP_TTL=256: EINVAL
  get IP_TTL: 255 len 4
  set IP_TTL=-1: ok
  get IP_TTL: 64 len 4
  set IPV6_TCLASS=16: ENOPROTOOPT
  get IPV6_TCLASS: EOPNOTSUPP
  set IPV6_UNICAST_HOPS=5: ENOPROTOOPT
  get SO_PRIORITY: 4 len 4
  set SO_PRIORITY=3: ok
  get SO_PRIORITY: 3 len 4
  set SO_PRIORITY=7: ok
  get SO_PRIORITY: 7 len 4
  set SO_PRIORITY=-1: ok
  get SO_PRIORITY: -1 len 4
  set IP_TOS=8: ok
  get SO_PRIORITY: 2 len 4
  set SO_PRIORITY=1: ok
  set IP_TOS=8: ok
  get SO_PRIORITY: 1 len 4
  set IP_TOS=4: ok
  get SO_PRIORITY: 0 len 4
  get SO_SNDLOWAT: 1 len 4
  set SO_SNDLOWAT=10: ENOPROTOOPT
  get SO_SNDLOWAT: 1 len 4
  get SO_RCVLOWAT: 1 len 4
  set SO_RCVLOWAT=10: ok
  get SO_RCVLOWAT: 10 len 4
  set SO_RCVLOWAT=0: ok
  get SO_RCVLOWAT: 1 len 4
  set SO_RCVLOWAT=-5: ok
  get SO_RCVLOWAT: 16777216 len 4
  set SO_RCVBUF=8192: ok
  get SO_RCVLOWAT: 16777216 len 4
  set SO_RCVLOWAT=3000: ok
  get SO_RCVLOWAT: 3000 len 4
  set SO_RCVLOWAT=-5: ok
  get SO_RCVLOWAT: 8192 len 4
  get TCP_USER_TIMEOUT: 0 len 4
  set TCP_USER_TIMEOUT=3000: ok
  get TCP_USER_TIMEOUT: 3000 len 4
  set TCP_USER_TIMEOUT=0: ok
  get TCP_USER_TIMEOUT: 0 len 4
  set TCP_USER_TIMEOUT=-1: EINVAL
  get TCP_USER_TIMEOUT: 0 len 4
  get TCP_CORK: 0 len 4
  set TCP_CORK=1: ok
  get TCP_CORK: 1 len 4
  set TCP_CORK=5: ok
  get TCP_CORK: 1 len 4
  set TCP_CORK=0: ok
  get TCP_CORK: 0 len 4
  get TCP_DEFER_ACCEPT: 0 len 4
  set TCP_DEFER_ACCEPT=5: ok
  get TCP_DEFER_ACCEPT: 7 len 4
  set TCP_DEFER_ACCEPT=1: ok
  get TCP_DEFER_ACCEPT: 1 len 4
  set TCP_DEFER_ACCEPT=2: ok
  get TCP_DEFER_ACCEPT: 3 len 4
  set TCP_DEFER_ACCEPT=3: ok
  get TCP_DEFER_ACCEPT: 3 len 4
  set TCP_DEFER_ACCEPT=8: ok
  get TCP_DEFER_ACCEPT: 15 len 4
  set TCP_DEFER_ACCEPT=100: ok
  get TCP_DEFER_ACCEPT: 127 len 4
  set TCP_DEFER_ACCEPT=1000: ok
  get TCP_DEFER_ACCEPT: 1087 len 4
  set TCP_DEFER_ACCEPT=0: ok
  get TCP_DEFER_ACCEPT: 0 len 4
  set TCP_DEFER_ACCEPT=-1: ok
  get TCP_DEFER_ACCEPT: 0 len 4
  get TCP_QUICKACK: 1 len 4
  set TCP_QUICKACK=0: ok
  get TCP_QUICKACK: 0 len 4
  set TCP_QUICKACK=5: ok
  get TCP_QUICKACK: 1 len 4
  set TCP_QUICKACK=0: ok
  get TCP_QUICKACK: 0 len 4
  set TCP_QUICKACK=1: ok
  get TCP_QUICKACK: 1 len 4
inet dgram
  get IP_TOS: 0 len 4
  set IP_TOS=16: ok
  get IP_TOS: 16 len 4
  set IP_TOS=19: ok
  get IP_TOS: 19 len 4
  set IP_TOS=256: ok
  get IP_TOS: 0 len 4
  set IP_TOS=-1: ok
  get IP_TOS: 255 len 4
  get IP_TTL: 64 len 4
  set IP_TTL=1: ok
  get IP_TTL: 1 len 4
  set IP_TTL=255: ok
  get IP_TTL: 255 len 4
  set IP_TTL=0: EINVAL
  get IP_TTL: 255 len 4
  set IP_TTL=256: EINVAL
  get IP_TTL: 255 len 4
  set IP_TTL=-1: ok
  get IP_TTL: 64 len 4
  set IPV6_TCLASS=16: ENOPROTOOPT
  get IPV6_TCLASS: EOPNOTSUPP
  set IPV6_UNICAST_HOPS=5: ENOPROTOOPT
  get SO_PRIORITY: 4 len 4
  set SO_PRIORITY=3: ok
  get SO_PRIORITY: 3 len 4
  set SO_PRIORITY=7: ok
  get SO_PRIORITY: 7 len 4
  set SO_PRIORITY=-1: ok
  get SO_PRIORITY: -1 len 4
  set IP_TOS=8: ok
  get SO_PRIORITY: 2 len 4
  set SO_PRIORITY=1: ok
  set IP_TOS=8: ok
  get SO_PRIORITY: 1 len 4
  set IP_TOS=4: ok
  get SO_PRIORITY: 0 len 4
  get SO_SNDLOWAT: 1 len 4
  set SO_SNDLOWAT=10: ENOPROTOOPT
  get SO_SNDLOWAT: 1 len 4
  get SO_RCVLOWAT: 1 len 4
  set SO_RCVLOWAT=10: ok
  get SO_RCVLOWAT: 10 len 4
  set SO_RCVLOWAT=0: ok
  get SO_RCVLOWAT: 1 len 4
  set SO_RCVLOWAT=-5: ok
  get SO_RCVLOWAT: 2147483647 len 4
  set TCP_USER_TIMEOUT=5: ENOPROTOOPT
  set TCP_QUICKACK=1: ENOPROTOOPT
inet6 stream
  get IP_TOS: 0 len 4
  set IP_TOS=16: ok
  get IP_TOS: 16 len 4
  set IP_TOS=19: ok
  get IP_TOS: 16 len 4
  set IP_TOS=256: ok
  get IP_TOS: 0 len 4
  set IP_TOS=-1: ok
  get IP_TOS: 252 len 4
  get IP_TTL: 64 len 4
  set IP_TTL=1: ok
  get IP_TTL: 1 len 4
  set IP_TTL=255: ok
  get IP_TTL: 255 len 4
  set IP_TTL=0: EINVAL
  get IP_TTL: 255 len 4
  set IP_TTL=256: EINVAL
  get IP_TTL: 255 len 4
  set IP_TTL=-1: ok
  get IP_TTL: 64 len 4
  get IPV6_UNICAST_HOPS: 64 len 4
  set IPV6_UNICAST_HOPS=1: ok
  get IPV6_UNICAST_HOPS: 1 len 4
  set IPV6_UNICAST_HOPS=255: ok
  get IPV6_UNICAST_HOPS: 255 len 4
  set IPV6_UNICAST_HOPS=0: ok
  get IPV6_UNICAST_HOPS: 0 len 4
  set IPV6_UNICAST_HOPS=256: EINVAL
  get IPV6_UNICAST_HOPS: 0 len 4
  set IPV6_UNICAST_HOPS=-2: EINVAL
  get IPV6_UNICAST_HOPS: 0 len 4
  set IPV6_UNICAST_HOPS=-1: ok
  get IPV6_UNICAST_HOPS: 64 len 4
  get IPV6_TCLASS: 0 len 4
  set IPV6_TCLASS=16: ok
  get IPV6_TCLASS: 16 len 4
  set IPV6_TCLASS=255: ok
  get IPV6_TCLASS: 252 len 4
  set IPV6_TCLASS=256: EINVAL
  get IPV6_TCLASS: 252 len 4
  set IPV6_TCLASS=-2: EINVAL
  get IPV6_TCLASS: 252 len 4
  set IPV6_TCLASS=-1: ok
  get IPV6_TCLASS: 0 len 4
  get SO_PRIORITY: 4 len 4
  set SO_PRIORITY=3: ok
  get SO_PRIORITY: 3 len 4
  set SO_PRIORITY=7: ok
  get SO_PRIORITY: 7 len 4
  set SO_PRIORITY=-1: ok
  get SO_PRIORITY: -1 len 4
  set IP_TOS=8: ok
  get SO_PRIORITY: 2 len 4
  set SO_PRIORITY=1: ok
  set IP_TOS=8: ok
  get SO_PRIORITY: 1 len 4
  set IP_TOS=4: ok
  get SO_PRIORITY: 0 len 4
  get SO_SNDLOWAT: 1 len 4
  set SO_SNDLOWAT=10: ENOPROTOOPT
  get SO_SNDLOWAT: 1 len 4
  get SO_RCVLOWAT: 1 len 4
  set SO_RCVLOWAT=10: ok
  get SO_RCVLOWAT: 10 len 4
  set SO_RCVLOWAT=0: ok
  get SO_RCVLOWAT: 1 len 4
  set SO_RCVLOWAT=-5: ok
  get SO_RCVLOWAT: 16777216 len 4
  set SO_RCVBUF=8192: ok
  get SO_RCVLOWAT: 16777216 len 4
  set SO_RCVLOWAT=3000: ok
  get SO_RCVLOWAT: 3000 len 4
  set SO_RCVLOWAT=-5: ok
  get SO_RCVLOWAT: 8192 len 4
  get TCP_USER_TIMEOUT: 0 len 4
  set TCP_USER_TIMEOUT=3000: ok
  get TCP_USER_TIMEOUT: 3000 len 4
  set TCP_USER_TIMEOUT=0: ok
  get TCP_USER_TIMEOUT: 0 len 4
  set TCP_USER_TIMEOUT=-1: EINVAL
  get TCP_USER_TIMEOUT: 0 len 4
  get TCP_CORK: 0 len 4
  set TCP_CORK=1: ok
  get TCP_CORK: 1 len 4
  set TCP_CORK=5: ok
  get TCP_CORK: 1 len 4
  set TCP_CORK=0: ok
  get TCP_CORK: 0 len 4
  get TCP_DEFER_ACCEPT: 0 len 4
  set TCP_DEFER_ACCEPT=5: ok
  get TCP_DEFER_ACCEPT: 7 len 4
  set TCP_DEFER_ACCEPT=1: ok
  get TCP_DEFER_ACCEPT: 1 len 4
  set TCP_DEFER_ACCEPT=2: ok
  get TCP_DEFER_ACCEPT: 3 len 4
  set TCP_DEFER_ACCEPT=3: ok
  get TCP_DEFER_ACCEPT: 3 len 4
  set TCP_DEFER_ACCEPT=8: ok
  get TCP_DEFER_ACCEPT: 15 len 4
  set TCP_DEFER_ACCEPT=100: ok
  get TCP_DEFER_ACCEPT: 127 len 4
  set TCP_DEFER_ACCEPT=1000: ok
  get TCP_DEFER_ACCEPT: 1087 len 4
  set TCP_DEFER_ACCEPT=0: ok
  get TCP_DEFER_ACCEPT: 0 len 4
  set TCP_DEFER_ACCEPT=-1: ok
  get TCP_DEFER_ACCEPT: 0 len 4
  get TCP_QUICKACK: 1 len 4
  set TCP_QUICKACK=0: ok
  get TCP_QUICKACK: 0 len 4
  set TCP_QUICKACK=5: ok
  get TCP_QUICKACK: 1 len 4
  set TCP_QUICKACK=0: ok
  get TCP_QUICKACK: 0 len 4
  set TCP_QUICKACK=1: ok
  get TCP_QUICKACK: 1 len 4
inet6 dgram
  get IP_TOS: 0 len 4
  set IP_TOS=16: ok
  get IP_TOS: 16 len 4
  set IP_TOS=19: ok
  get IP_TOS: 19 len 4
  set IP_TOS=256: ok
  get IP_TOS: 0 len 4
  set IP_TOS=-1: ok
  get IP_TOS: 255 len 4
  get IP_TTL: 64 len 4
  set IP_TTL=1: ok
  get IP_TTL: 1 len 4
  set IP_TTL=255: ok
  get IP_TTL: 255 len 4
  set IP_TTL=0: EINVAL
  get IP_TTL: 255 len 4
  set IP_TTL=256: EINVAL
  get IP_TTL: 255 len 4
  set IP_TTL=-1: ok
  get IP_TTL: 64 len 4
  get IPV6_UNICAST_HOPS: 64 len 4
  set IPV6_UNICAST_HOPS=1: ok
  get IPV6_UNICAST_HOPS: 1 len 4
  set IPV6_UNICAST_HOPS=255: ok
  get IPV6_UNICAST_HOPS: 255 len 4
  set IPV6_UNICAST_HOPS=0: ok
  get IPV6_UNICAST_HOPS: 0 len 4
  set IPV6_UNICAST_HOPS=256: EINVAL
  get IPV6_UNICAST_HOPS: 0 len 4
  set IPV6_UNICAST_HOPS=-2: EINVAL
  get IPV6_UNICAST_HOPS: 0 len 4
  set IPV6_UNICAST_HOPS=-1: ok
  get IPV6_UNICAST_HOPS: 64 len 4
  get IPV6_TCLASS: 0 len 4
  set IPV6_TCLASS=16: ok
  get IPV6_TCLASS: 16 len 4
  set IPV6_TCLASS=255: ok
  get IPV6_TCLASS: 255 len 4
  set IPV6_TCLASS=256: EINVAL
  get IPV6_TCLASS: 255 len 4
  set IPV6_TCLASS=-2: EINVAL
  get IPV6_TCLASS: 255 len 4
  set IPV6_TCLASS=-1: ok
  get IPV6_TCLASS: 0 len 4
  get SO_PRIORITY: 4 len 4
  set SO_PRIORITY=3: ok
  get SO_PRIORITY: 3 len 4
  set SO_PRIORITY=7: ok
  get SO_PRIORITY: 7 len 4
  set SO_PRIORITY=-1: ok
  get SO_PRIORITY: -1 len 4
  set IP_TOS=8: ok
  get SO_PRIORITY: 2 len 4
  set SO_PRIORITY=1: ok
  set IP_TOS=8: ok
  get SO_PRIORITY: 1 len 4
  set IP_TOS=4: ok
  get SO_PRIORITY: 0 len 4
  get SO_SNDLOWAT: 1 len 4
  set SO_SNDLOWAT=10: ENOPROTOOPT
  get SO_SNDLOWAT: 1 len 4
  get SO_RCVLOWAT: 1 len 4
  set SO_RCVLOWAT=10: ok
  get SO_RCVLOWAT: 10 len 4
  set SO_RCVLOWAT=0: ok
  get SO_RCVLOWAT: 1 len 4
  set SO_RCVLOWAT=-5: ok
  get SO_RCVLOWAT: 2147483647 len 4
  set TCP_USER_TIMEOUT=5: ENOPROTOOPT
  set TCP_QUICKACK=1: ENOPROTOOPT
bytes
  set IP_TTL from 1 byte: ok
  get IP_TTL into 1 byte: ok 77 len 1
  get IP_TOS into 2 bytes: ok len 1
  set TCP_USER_TIMEOUT from 2 bytes: EINVAL
  set SO_PRIORITY from 2 bytes: EINVAL
unix stream
  get SO_PRIORITY: 0 len 4
  set SO_PRIORITY=2: ok
  get SO_PRIORITY: 2 len 4
  get SO_SNDLOWAT: 1 len 4
  set IP_TOS=16: EOPNOTSUPP
  get IP_TOS: EOPNOTSUPP
accepted
  set IP_TOS=32: ok
  set IP_TTL=33: ok
  set TCP_USER_TIMEOUT=1234: ok
  set TCP_DEFER_ACCEPT=3: ok
  get SO_PRIORITY: 0 len 4
  get IP_TOS: 32 len 4
  get IP_TTL: 33 len 4
  get SO_PRIORITY: 0 len 4
  get TCP_USER_TIMEOUT: 1234 len 4
  get TCP_DEFER_ACCEPT: 0 len 4
 the connecting socket
  get IP_TOS: 0 len 4
  get IP_TTL: 64 len 4
  set IP_TOS=16: ok
  get IP_TOS: 16 len 4
tcp: 2 of 4 bytes: poll 0, a non-blocking peek 2
tcp: 4 bytes: poll 1, recv 4
tcp: a recv of 2 with 2 there: 2
tcp: a blocking recv while 2, then 2 more arrive: 4
tcp: the end of the stream ends the wait: 1
  get TCP_CORK: 1 len 4
cork: 10 bytes corked: poll 0
cork: uncorked: poll 1 recv 10
cork: corked again: poll 0
cork: after 300 ms: poll 1 recv 3
cork: a shutdown sends what was held: poll 1 recv 2
unix: 2 of 4 bytes: poll 1, a non-blocking peek 2
unix: 4 bytes: poll 1, recv 4
unix: a recv of 2 with 2 there: 2
unix: a blocking recv while 2, then 2 more arrive: 4
unix: the end of the stream ends the wait: 1
`;
