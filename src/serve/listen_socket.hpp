// The listening socket of the endpoint: parsing the bind address (--bind), refusing non-loopback
// addresses unless asked, opening the socket ourselves (so --bind and systemd socket activation end
// in the same place: a listening fd handed to libmicrohttpd), and the hop limit set on accepted
// sockets.
#pragma once

#include "rolesanywhere/unique_fd.hpp"

#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rolesanywhere::serve {

// An IPv4 or IPv6 address with a port, as a sockaddr that bind() and getsockname() use.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const noexcept { return storage.ss_family; }
  std::uint16_t port() const noexcept;
  // "127.0.0.1" or "::1" (no brackets, no port).
  std::string host() const;
  // "http://127.0.0.1:9911/" or "http://[::1]:9911/"; an unspecified address (0.0.0.0, ::)
  // becomes the loopback of its family, which is where a client on this machine connects.
  std::string local_url() const;
};

// Parses "127.0.0.1", "::1", "[::1]" or "localhost" (127.0.0.1); throws Error(kInvalidArgument)
// naming `bind_flag` ("--bind"), or "the address" when it is empty.
SocketAddress parse_bind_address(std::string_view text, std::uint16_t port,
                                 std::string_view bind_flag = {});

// 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104.
bool is_loopback(const SocketAddress& address);

// socket + SO_REUSEADDR (+ IPV6_V6ONLY) + bind + listen, non-blocking and close-on-exec.
// Throws Error(kInvalidArgument) naming the address and why (in use, not on this machine); a port
// in use points to `port_flag` ("--port") when it is not empty.
// The backlog is the system's largest (as systemd's sockets have): when connections come faster
// than they are accepted (a burst, or slow clients reconnecting as fast as they are closed), a
// SYN dropped for a full queue costs its client a second before it is sent again.
UniqueFd open_listen_socket(const SocketAddress& address, std::string_view port_flag = {},
                            int backlog = SOMAXCONN);

// The address a socket is bound to.
SocketAddress local_address(int fd);

// systemd socket activation (sd_listen_fds(3)): the listening fd passed as fd 3 when LISTEN_PID
// is this process and LISTEN_FDS is 1; nullopt when the variables are absent or meant for
// another process. Throws Error(kInvalidArgument) when systemd passed more than one socket.
// Pure: the caller passes the variables' values and its pid.
std::optional<int> systemd_listen_fd(const char* listen_pid, const char* listen_fds, pid_t self);

// Checks that `fd` is a listening TCP socket and makes it non-blocking and close-on-exec.
// Throws Error(kInvalidArgument).
void adopt_listen_socket(int fd);

// IP_TTL (IPv4) or IPV6_UNICAST_HOPS (IPv6; also IP_TTL for IPv4-mapped peers) on a connected
// socket: how many routers the endpoint's answers may cross. Returns false if setsockopt failed.
bool set_hop_limit(int fd, int hop_limit);
// Reads back what set_hop_limit set (for tests and --debug); -1 when it cannot be read.
int hop_limit_of(int fd);

}  // namespace rolesanywhere::serve
