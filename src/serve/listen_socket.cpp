#include "listen_socket.hpp"

#include "rolesanywhere/error.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace rolesanywhere::serve {

std::uint16_t SocketAddress::port() const noexcept {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(storage).sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(storage).sin6_port);
  return 0;
}

std::string SocketAddress::host() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(storage).sin_addr, text, sizeof text);
  else if (family() == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(storage).sin6_addr, text,
              sizeof text);
  return text;
}

std::string SocketAddress::local_url() const {
  std::string host_text = host();
  if (host_text == "0.0.0.0") host_text = "127.0.0.1";
  if (host_text == "::") host_text = "::1";
  if (family() == AF_INET6) host_text = "[" + host_text + "]";
  return "http://" + host_text + ":" + std::to_string(port()) + "/";
}

SocketAddress parse_bind_address(std::string_view text, std::uint16_t port,
                                 std::string_view bind_flag) {
  std::string host(text);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";

  SocketAddress address;
  sockaddr_in v4{};
  sockaddr_in6 v6{};
  if (inet_pton(AF_INET, host.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    std::memcpy(&address.storage, &v4, sizeof v4);
    address.length = sizeof v4;
  } else if (inet_pton(AF_INET6, host.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    std::memcpy(&address.storage, &v6, sizeof v6);
    address.length = sizeof v6;
  } else {
    throw Error(Error::Kind::kInvalidArgument,
                (bind_flag.empty() ? std::string("the address") : std::string(bind_flag)) + " '" +
                    std::string(text) +
                    "' is not an IPv4 or IPv6 address (for example 127.0.0.1 or ::1)");
  }
  return address;
}

bool is_loopback(const SocketAddress& address) {
  if (address.family() == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address.storage);
    return (ntohl(v4.sin_addr.s_addr) >> 24) == 127;
  }
  if (address.family() == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address.storage);
    if (IN6_IS_ADDR_LOOPBACK(&v6.sin6_addr)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr) && v6.sin6_addr.s6_addr[12] == 127;
  }
  return false;
}

namespace {

void make_nonblocking_cloexec(int fd) {
  const int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  const int fd_flags = fcntl(fd, F_GETFD);
  if (fd_flags >= 0) fcntl(fd, F_SETFD, fd_flags | FD_CLOEXEC);
}

std::string describe(const SocketAddress& address) {
  return address.family() == AF_INET6 ? "[" + address.host() + "]:" + std::to_string(address.port())
                                      : address.host() + ":" + std::to_string(address.port());
}

}  // namespace

UniqueFd open_listen_socket(const SocketAddress& address, std::string_view port_flag, int backlog) {
  UniqueFd fd(::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd)
    throw Error(Error::Kind::kInvalidArgument,
                "cannot create a socket for " + describe(address) + ": " + std::strerror(errno));
  const int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // An IPv6 address means IPv6 only: "::1" must not quietly accept 127.0.0.1 as well.
  if (address.family() == AF_INET6)
    setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0) {
    const int error = errno;
    std::string why = std::strerror(error);
    if (error == EADDRINUSE)
      why = port_flag.empty() ? "the port is in use"
                              : "the port is in use (choose another with " +
                                    std::string(port_flag) + ", or 0 for any)";
    if (error == EADDRNOTAVAIL) why = "the address is not on this machine";
    throw Error(Error::Kind::kInvalidArgument,
                "cannot listen on " + describe(address) + ": " + why);
  }
  if (::listen(fd.get(), backlog) != 0)
    throw Error(Error::Kind::kInvalidArgument,
                "cannot listen on " + describe(address) + ": " + std::strerror(errno));
  return fd;
}

SocketAddress local_address(int fd) {
  SocketAddress address;
  address.length = sizeof address.storage;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address.storage), &address.length) != 0)
    address.length = 0;
  return address;
}

namespace {

std::optional<long> parse_decimal(const char* text) {
  if (!text || !*text) return std::nullopt;
  long value = 0;
  const char* end = text + std::strlen(text);
  const auto [stop, error] = std::from_chars(text, end, value);
  if (error != std::errc{} || stop != end) return std::nullopt;
  return value;
}

}  // namespace

std::optional<int> systemd_listen_fd(const char* listen_pid, const char* listen_fds, pid_t self) {
  constexpr int kFirstPassedFd = 3;  // SD_LISTEN_FDS_START
  const auto pid = parse_decimal(listen_pid);
  const auto count = parse_decimal(listen_fds);
  if (!pid || !count || *pid != self || *count <= 0) return std::nullopt;
  if (*count > 1)
    throw Error(Error::Kind::kInvalidArgument,
                "systemd passed " + std::to_string(*count) +
                    " sockets (LISTEN_FDS); serve listens on exactly one: give the .socket unit "
                    "a single ListenStream=");
  return kFirstPassedFd;
}

void adopt_listen_socket(int fd) {
  int type = 0, listening = 0;
  socklen_t length = sizeof type;
  const bool stream =
      getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 && type == SOCK_STREAM;
  length = sizeof listening;
  const bool accepts =
      getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0 && listening;
  const int family = local_address(fd).family();
  if (!stream || !accepts || (family != AF_INET && family != AF_INET6))
    throw Error(Error::Kind::kInvalidArgument,
                "the socket passed by systemd (fd " + std::to_string(fd) +
                    ") is not a listening TCP socket: use ListenStream=<port or address:port>");
  make_nonblocking_cloexec(fd);
}

bool set_hop_limit(int fd, int hop_limit) {
  const int family = local_address(fd).family();
  if (family == AF_INET6) {
    const bool v6 =
        setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hop_limit, sizeof hop_limit) == 0;
    // An IPv4 client of a dual-stack socket gets IPv4 packets, which follow IP_TTL.
    setsockopt(fd, IPPROTO_IP, IP_TTL, &hop_limit, sizeof hop_limit);
    return v6;
  }
  return setsockopt(fd, IPPROTO_IP, IP_TTL, &hop_limit, sizeof hop_limit) == 0;
}

int hop_limit_of(int fd) {
  int value = -1;
  socklen_t length = sizeof value;
  const int family = local_address(fd).family();
  const bool ok = family == AF_INET6
                      ? getsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &value, &length) == 0
                      : getsockopt(fd, IPPROTO_IP, IP_TTL, &value, &length) == 0;
  return ok ? value : -1;
}

}  // namespace rolesanywhere::serve
