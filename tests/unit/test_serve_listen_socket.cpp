// --bind parsing, the loopback rule, opening sockets, systemd's LISTEN_FDS and the hop limit.
#include "serve/listen_socket.hpp"

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/serve.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

using namespace rolesanywhere;
using namespace rolesanywhere::serve;

TEST_CASE("serve bind: IPv4 IPv6 bracketed and localhost addresses parse") {
  CHECK(parse_bind_address("127.0.0.1", 9911).local_url() == "http://127.0.0.1:9911/");
  CHECK(parse_bind_address("localhost", 80).local_url() == "http://127.0.0.1:80/");
  CHECK(parse_bind_address("::1", 9911).local_url() == "http://[::1]:9911/");
  CHECK(parse_bind_address("[::1]", 9911).family() == AF_INET6);
  CHECK(parse_bind_address("0.0.0.0", 1).local_url() == "http://127.0.0.1:1/");
  CHECK(parse_bind_address("::", 1).local_url() == "http://[::1]:1/");
  CHECK_THROWS_WITH_AS(parse_bind_address("example.com", 1, "--bind"),
                       doctest::Contains("--bind 'example.com' is not an IPv4 or IPv6 address"),
                       Error);
  CHECK_THROWS_WITH_AS(parse_bind_address("example.com", 1),
                       "the address 'example.com' is not an IPv4 or IPv6 address (for example "
                       "127.0.0.1 or ::1)",
                       Error);
  CHECK_THROWS_AS(parse_bind_address("127.0.0.1:80", 1), Error);
  CHECK_THROWS_AS(parse_bind_address("", 1), Error);
}

TEST_CASE("serve bind: only 127/8 and ::1 count as loopback") {
  CHECK(is_loopback(parse_bind_address("127.0.0.1", 0)));
  CHECK(is_loopback(parse_bind_address("127.1.2.3", 0)));
  CHECK(is_loopback(parse_bind_address("::1", 0)));
  CHECK(is_loopback(parse_bind_address("::ffff:127.0.0.1", 0)));
  CHECK_FALSE(is_loopback(parse_bind_address("0.0.0.0", 0)));
  CHECK_FALSE(is_loopback(parse_bind_address("::", 0)));
  CHECK_FALSE(is_loopback(parse_bind_address("10.0.0.1", 0)));
  CHECK_FALSE(is_loopback(parse_bind_address("128.0.0.1", 0)));
  CHECK_FALSE(is_loopback(parse_bind_address("::ffff:10.0.0.1", 0)));
}

TEST_CASE("serve bind: port 0 picks a free port and a taken port is a clear error") {
  UniqueFd first = open_listen_socket(parse_bind_address("127.0.0.1", 0));
  const std::uint16_t port = local_address(first.get()).port();
  CHECK(port != 0);
  CHECK_THROWS_WITH_AS(
      open_listen_socket(parse_bind_address("127.0.0.1", port)),
      ("cannot listen on 127.0.0.1:" + std::to_string(port) + ": the port is in use").c_str(),
      Error);
  CHECK_THROWS_WITH_AS(open_listen_socket(parse_bind_address("127.0.0.1", port), "--port"),
                       doctest::Contains("(choose another with --port, or 0 for any)"), Error);
  UniqueFd v6 = open_listen_socket(parse_bind_address("::1", 0));
  CHECK(local_address(v6.get()).family() == AF_INET6);
  CHECK_THROWS_WITH_AS(open_listen_socket(parse_bind_address("192.0.2.1", 0)),
                       doctest::Contains("not on this machine"), Error);
}

TEST_CASE("serve systemd: LISTEN_FDS is honoured only for this process") {
  CHECK(systemd_listen_fd("42", "1", 42) == 3);
  CHECK_FALSE(systemd_listen_fd("41", "1", 42));
  CHECK_FALSE(systemd_listen_fd(nullptr, "1", 42));
  CHECK_FALSE(systemd_listen_fd("42", nullptr, 42));
  CHECK_FALSE(systemd_listen_fd("42", "0", 42));
  CHECK_FALSE(systemd_listen_fd("42x", "1", 42));
  CHECK_THROWS_WITH_AS(systemd_listen_fd("42", "2", 42), doctest::Contains("ListenStream"), Error);
}

TEST_CASE("serve systemd: a passed fd must be a listening TCP socket") {
  UniqueFd listening = open_listen_socket(parse_bind_address("127.0.0.1", 0));
  CHECK_NOTHROW(adopt_listen_socket(listening.get()));
  UniqueFd unbound(::socket(AF_INET, SOCK_STREAM, 0));
  CHECK_THROWS_WITH_AS(adopt_listen_socket(unbound.get()), doctest::Contains("not a listening"),
                       Error);
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  CHECK_THROWS_AS(adopt_listen_socket(read_end.get()), Error);
}

TEST_CASE("serve hop limit: set_hop_limit is read back for IPv4 and IPv6 sockets") {
  UniqueFd v4(::socket(AF_INET, SOCK_STREAM, 0));
  REQUIRE(set_hop_limit(v4.get(), 1));
  CHECK(hop_limit_of(v4.get()) == 1);
  REQUIRE(set_hop_limit(v4.get(), 200));
  CHECK(hop_limit_of(v4.get()) == 200);
  UniqueFd v6 = open_listen_socket(parse_bind_address("::1", 0));
  REQUIRE(set_hop_limit(v6.get(), 3));
  CHECK(hop_limit_of(v6.get()) == 3);
}

namespace {

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

}  // namespace

TEST_CASE("unique fd: owns one fd, moves it, and closes it once without touching errno") {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  {
    rolesanywhere::UniqueFd read_end(pipe_fds[0]);
    CHECK(read_end.valid());
    CHECK(static_cast<bool>(read_end));
    UniqueFd moved(std::move(read_end));
    CHECK_FALSE(read_end.valid());
    CHECK(moved.get() == pipe_fds[0]);
    errno = ENOSPC;
  }
  CHECK(errno == ENOSPC);  // the destructor's close kept it
  CHECK_FALSE(is_open(pipe_fds[0]));

  rolesanywhere::UniqueFd write_end(pipe_fds[1]);
  const int released = write_end.release();
  CHECK_FALSE(write_end);
  CHECK(write_end.get() == -1);
  CHECK(is_open(released));  // release does not close
  write_end.reset(released);
  CHECK(write_end.get() == released);
  rolesanywhere::UniqueFd other;
  other = std::move(write_end);
  CHECK(is_open(released));
  CHECK(other.close() == 0);
  CHECK_FALSE(other.valid());
  CHECK_FALSE(is_open(released));
  CHECK(other.close() == 0);  // nothing held: nothing closed
}

TEST_CASE("serve bind: a non-loopback address is refused, naming the flags only when labelled") {
  serve::ServeOptions options;
  options.bind_address = "0.0.0.0";
  options.port = 0;
  try {
    serve::ServeListener listener(options);
    FAIL("a non-loopback address was accepted");
  } catch (const Error& error) {
    const std::string message = error.what();
    CHECK(message ==
          "the address 0.0.0.0 is not a loopback address: anyone who can reach it could take the "
          "credentials");
  }
  options.labels.bind = "--bind";
  options.labels.allow_non_loopback = "--allow-non-loopback";
  CHECK_THROWS_WITH_AS(serve::ServeListener{options},
                       "--bind 0.0.0.0 is not a loopback address: anyone who can reach it could "
                       "take the credentials. Add --allow-non-loopback if that is intended",
                       Error);
}
