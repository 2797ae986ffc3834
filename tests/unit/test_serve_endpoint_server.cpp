// The endpoint over real sockets: what libmicrohttpd adds to the handler (hop limit on accepted
// sockets, size limits, no crash on garbage, draining on shutdown, consistent answers under
// concurrency).
#include "serve/endpoint_handler.hpp"
#include "serve/endpoint_server.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

using namespace rolesanywhere;
using namespace rolesanywhere::serve;
using namespace std::chrono_literals;

namespace {

const char* kRolePath = "/latest/meta-data/iam/security-credentials/test-role";

// A credentials source a test can swap under the server's feet, as a refresh does.
struct SwappableCredentials {
  std::mutex mutex;
  CredentialsSnapshot snapshot;
  void set(std::shared_ptr<const Credentials> credentials) {
    std::lock_guard lock(mutex);
    snapshot = {std::move(credentials), std::chrono::system_clock::now(), std::nullopt};
  }
  CredentialsSnapshot get() {
    std::lock_guard lock(mutex);
    return snapshot;
  }
};

std::shared_ptr<const Credentials> credentials_named(const std::string& name) {
  return std::make_shared<const Credentials>(
      Credentials{"ASIA" + name, SecretString("secret-" + name), SecretString("token-" + name),
                  std::chrono::system_clock::now() + 1h});
}

struct TestServer {
  SwappableCredentials source;
  TokenStore tokens;
  EndpointHandler handler{EndpointConfig{"test-role", std::nullopt, "/v1/credentials"},
                          [this] { return source.get(); }, tokens};
  std::unique_ptr<EndpointServer> server;

  explicit TestServer(EndpointServerOptions options = {}, const char* bind = "127.0.0.1") {
    source.set(credentials_named("FIRST"));
    server = std::make_unique<EndpointServer>(
        open_listen_socket(parse_bind_address(bind, 0)),
        [this](const HttpRequest& request) {
          return handler.handle(request, std::chrono::system_clock::now());
        },
        options);
  }
};

UniqueFd connect_to(std::uint16_t port, int family = AF_INET) {
  UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd);
  int result;
  if (family == AF_INET) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    result = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
  } else {
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_port = htons(port);
    address.sin6_addr = in6addr_loopback;
    result = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
  }
  REQUIRE(result == 0);
  return fd;
}

void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent <= 0) return;  // the server may close early on garbage; that is allowed
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
}

// Reads until the server closes or `timeout` passes.
std::string read_until_close(int fd, std::chrono::milliseconds timeout = 3000ms) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd waiting{fd, POLLIN, 0};
    if (::poll(&waiting, 1, 50) <= 0) continue;
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got <= 0) break;
    out.append(buffer, static_cast<std::size_t>(got));
  }
  return out;
}

// Reads one response whose body is Content-Length long (keep-alive connections).
std::string read_one_response(int fd) {
  std::string out;
  char buffer[4096];
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::size_t end = out.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::size_t length = 0;
      const std::size_t at = out.find("Content-Length: ");
      if (at != std::string::npos && at < end) length = std::stoul(out.substr(at + 16));
      if (out.size() >= end + 4 + length) return out;
    }
    pollfd waiting{fd, POLLIN, 0};
    if (::poll(&waiting, 1, 50) <= 0) continue;
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got <= 0) break;
    out.append(buffer, static_cast<std::size_t>(got));
  }
  return out;
}

int status_of(const std::string& response) {
  if (response.size() < 12 || !response.starts_with("HTTP/1.")) return 0;
  return std::stoi(response.substr(9, 3));
}

std::string body_of(const std::string& response) {
  const std::size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

std::string round_trip(std::uint16_t port, std::string_view request, int family = AF_INET) {
  UniqueFd fd = connect_to(port, family);
  send_all(fd.get(), request);
  return read_until_close(fd.get());
}

std::string get_token(std::uint16_t port) {
  const std::string response = round_trip(port,
                                          "PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                          "x-aws-ec2-metadata-token-ttl-seconds: 600\r\n"
                                          "Connection: close\r\n\r\n");
  REQUIRE(status_of(response) == 200);
  return body_of(response);
}

std::string credentials_request(const std::string& token) {
  return "GET " + std::string(kRolePath) +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nx-aws-ec2-metadata-token: " + token +
         "\r\nConnection: close\r\n\r\n";
}

// The server's end of the connection whose client end is `client`: found among this process's
// own descriptors (the server runs in the test process), so the hop limit is read with
// getsockopt from the very socket libmicrohttpd accepted, with no test hook in the server.
int server_side_of(int client) {
  sockaddr_storage client_address{};
  socklen_t client_length = sizeof client_address;
  REQUIRE(getsockname(client, reinterpret_cast<sockaddr*>(&client_address), &client_length) == 0);
  DIR* directory = opendir("/proc/self/fd");
  REQUIRE(directory);
  int found = -1;
  while (dirent* entry = readdir(directory)) {
    const int fd = std::atoi(entry->d_name);
    if (fd <= 2 || fd == client) continue;
    sockaddr_storage peer{};
    socklen_t peer_length = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) != 0) continue;
    if (peer_length == client_length && std::memcmp(&peer, &client_address, peer_length) == 0) {
      found = fd;
      break;
    }
  }
  closedir(directory);
  return found;
}

// The listening socket on `port` among this process's descriptors.
int listener_on(std::uint16_t port) {
  DIR* directory = opendir("/proc/self/fd");
  REQUIRE(directory);
  int found = -1;
  while (dirent* entry = readdir(directory)) {
    const int fd = std::atoi(entry->d_name);
    if (fd <= 2) continue;
    int listening = 0;
    socklen_t length = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || !listening) continue;
    sockaddr_storage address{};
    socklen_t address_length = sizeof address;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &address_length) != 0) continue;
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    const std::uint16_t bound = ntohs(address.ss_family == AF_INET6 ? v6->sin6_port : v4->sin_port);
    if (bound == port) {
      found = fd;
      break;
    }
  }
  closedir(directory);
  return found;
}

}  // namespace

TEST_CASE("serve server: the IMDSv2 flow works over a real socket") {
  TestServer test;
  const std::string token = get_token(test.server->port());
  CHECK(token.size() == 64);
  const std::string response = round_trip(test.server->port(), credentials_request(token));
  REQUIRE(status_of(response) == 200);
  const auto json = nlohmann::json::parse(body_of(response));
  CHECK(json["AccessKeyId"] == "ASIAFIRST");
  // The token's remaining TTL, in whole seconds (a fraction of a second has passed).
  CHECK(response.find("x-aws-ec2-metadata-token-ttl-seconds: 59") != std::string::npos);
  CHECK(status_of(round_trip(test.server->port(), credentials_request("wrong"))) == 401);
}

TEST_CASE("serve server: the hop limit is set on every accepted IPv4 and IPv6 socket") {
  for (const int hop_limit : {1, 7, 64}) {
    CAPTURE(hop_limit);
    EndpointServerOptions options;
    options.hop_limit = hop_limit;
    TestServer test(options);
    UniqueFd client = connect_to(test.server->port());
    // One answered request proves the connection was accepted and announced.
    send_all(client.get(), "PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    REQUIRE(status_of(read_one_response(client.get())) == 200);
    const int server_fd = server_side_of(client.get());
    REQUIRE(server_fd >= 0);
    CHECK(hop_limit_of(server_fd) == hop_limit);
    // The listening socket has it too, so the SYN-ACK of the handshake goes no further.
    const int listener = listener_on(test.server->port());
    REQUIRE(listener >= 0);
    CHECK(hop_limit_of(listener) == hop_limit);
  }
  EndpointServerOptions options;
  options.hop_limit = 2;
  TestServer v6(options, "::1");
  UniqueFd client = connect_to(v6.server->port(), AF_INET6);
  send_all(client.get(), "PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  REQUIRE(status_of(read_one_response(client.get())) == 200);
  const int server_fd = server_side_of(client.get());
  REQUIRE(server_fd >= 0);
  CHECK(hop_limit_of(server_fd) == 2);
  CHECK(hop_limit_of(client.get()) != 2);  // the client's own socket keeps the system default
}

TEST_CASE("serve server: oversized headers and bodies are refused without harm") {
  TestServer test;
  const std::uint16_t port = test.server->port();
  const std::string huge_header =
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + std::string(64 * 1024, 'a') +
      "\r\nConnection: close\r\n\r\n";
  CHECK(status_of(round_trip(port, huge_header)) == 431);
  const std::string big_body =
      "PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000"
      "\r\nConnection: close\r\n\r\n" +
      std::string(5000, 'b');
  CHECK(status_of(round_trip(port, big_body)) == 413);
  const std::string small_body =
      "PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4"
      "\r\nConnection: close\r\n\r\nabcd";
  CHECK(status_of(round_trip(port, small_body)) == 200);
  CHECK(!get_token(port).empty());  // still serving
}

TEST_CASE("serve server: random bytes and malformed requests never stop it") {
  EndpointServerOptions options;
  options.idle_timeout = 2s;  // so connections left half-open by the garbage are reaped quickly
  TestServer test(options);
  const std::uint16_t port = test.server->port();
  // Each answered with a 4xx/5xx status, or (0) not answered at all: never a 200, never a crash.
  const std::vector<std::pair<std::string, int>> malformed = {
      {"\r\n\r\n", 0},     // blank lines before a request are skipped; nothing else comes
      {"GET\r\n\r\n", 0},  // not a request line: the connection is closed
      {"GET / HTTP/9.9\r\n\r\n", 505},
      {"GET /latest/api/token HTTP/1.1\r\n\r\n", 400},  // HTTP/1.1 without Host
      {std::string("PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nX-\0Null: y\r\n\r\n", 64),
       400},
      {"PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: "
       "chunked\r\n\r\nzz\r\n",
       400},
      {"PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n", 400},
      {"PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
       "99999999999999999999\r\n\r\n",
       413},
      {"GET /%00%ff%zz/../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 404},
      {"GET " + std::string(20000, '/') + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414},
      {"PUT /latest/api/token HTTP/1.1\r\nHost: "
       "127.0.0.1\r\nx-aws-ec2-metadata-token-ttl-seconds: " +
           std::string(3000, '9') + "\r\n\r\n",
       400},
  };
  for (const auto& entry : malformed) {
    // Not a structured binding: clang 14 cannot capture one in a lambda (CAPTURE makes one).
    const auto& request = entry.first;
    const auto& expected = entry.second;
    UniqueFd fd = connect_to(port);
    send_all(fd.get(), request);
    CAPTURE(request.substr(0, 60));
    // An answer is waited for in full (up to 3 s, for a slow sanitizer build); no answer, briefly.
    const std::string answer =
        expected == 0 ? read_until_close(fd.get(), 300ms) : read_one_response(fd.get());
    CHECK(status_of(answer) == expected);
  }

  std::mt19937 random(12345);
  std::uniform_int_distribution<int> byte(0, 255), length(1, 3000);
  for (int i = 0; i < 100; ++i) {
    std::string garbage(static_cast<std::size_t>(length(random)), '\0');
    for (char& c : garbage) c = static_cast<char>(byte(random));
    if (i % 3 == 0) garbage = "GET / HTTP/1.1\r\n" + garbage;  // garbage inside the headers
    UniqueFd fd = connect_to(port);
    send_all(fd.get(), garbage);
    // Half of them hang up without waiting; the others read whatever comes back.
    if (i % 2) read_until_close(fd.get(), 100ms);
  }
  const std::string token = get_token(port);
  CHECK(status_of(round_trip(port, credentials_request(token))) == 200);
  // Every abandoned request is accounted for once its connection closes (libmicrohttpd leaves
  // some garbage connections half-closed until the idle timeout).
  for (int i = 0; i < 500 && test.server->requests_in_flight() != 0; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(test.server->requests_in_flight() == 0);
}

TEST_CASE("serve server: shutdown stops accepting and lets a request in flight finish") {
  TestServer test;
  const std::uint16_t port = test.server->port();
  const std::string token = get_token(port);
  const std::string request = credentials_request(token);

  UniqueFd slow_client = connect_to(port);
  const std::size_t half = request.size() / 2;
  send_all(slow_client.get(), request.substr(0, half));
  for (int i = 0; i < 100 && test.server->requests_in_flight() == 0; ++i)
    std::this_thread::sleep_for(10ms);
  REQUIRE(test.server->requests_in_flight() == 1);

  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    test.server->shutdown(5s);
    stopped = true;
  });
  std::this_thread::sleep_for(300ms);
  CHECK_FALSE(stopped.load());  // still draining
  // New connections are refused while the old request is still being drained.
  UniqueFd refused(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  CHECK(::connect(refused.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0);

  send_all(slow_client.get(), request.substr(half));
  const std::string response = read_until_close(slow_client.get());
  stopper.join();
  CHECK(stopped.load());
  CHECK(status_of(response) == 200);
  CHECK(response.find("Connection: close") != std::string::npos);
  CHECK(nlohmann::json::parse(body_of(response))["AccessKeyId"] == "ASIAFIRST");
}

TEST_CASE("serve server: shutdown does not wait for idle keep-alive connections") {
  TestServer test;
  UniqueFd idle = connect_to(test.server->port());
  send_all(idle.get(), "PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  REQUIRE(status_of(read_one_response(idle.get())) == 200);
  const auto start = std::chrono::steady_clock::now();
  test.server->shutdown(5s);
  CHECK(std::chrono::steady_clock::now() - start < 4s);  // not the 5 s drain
}

TEST_CASE("serve server: many clients during refreshes all get complete credentials") {
  EndpointServerOptions options;
  options.connection_limit = 256;
  TestServer test(options);
  const std::uint16_t port = test.server->port();
  const std::string token = get_token(port);

  std::atomic<bool> done{false};
  std::thread refresher([&] {  // swaps the credentials as fast as it can, like many refreshes
    for (int i = 0; !done; ++i) test.source.set(credentials_named(i % 2 ? "SECOND" : "FIRST"));
  });
  std::atomic<int> complete{0}, broken{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 16; ++c) {
    clients.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        const std::string response = round_trip(port, credentials_request(token));
        try {
          const auto json = nlohmann::json::parse(body_of(response));
          const std::string id = json.at("AccessKeyId");
          const std::string name = id.substr(4);
          const bool consistent =
              status_of(response) == 200 && json.at("SecretAccessKey") == "secret-" + name &&
              json.at("Token") == "token-" + name && (name == "FIRST" || name == "SECOND");
          (consistent ? complete : broken)++;
        } catch (const std::exception&) {
          ++broken;
        }
      }
    });
  }
  for (auto& client : clients) client.join();
  done = true;
  refresher.join();
  CHECK(broken.load() == 0);
  CHECK(complete.load() == 16 * 25);
}

TEST_CASE("serve server: a body over the limit is refused before it has arrived") {
  TestServer test;
  const std::uint16_t port = test.server->port();
  // A declared gigabyte, none of it sent: refused on the headers alone.
  {
    UniqueFd fd = connect_to(port);
    send_all(
        fd.get(),
        "PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000000\r\n\r\n");
    CHECK(status_of(read_until_close(fd.get(), 2000ms)) == 413);
  }
  // A chunked body that never ends: the connection is closed once past the limit, long before
  // 1 MiB is in (libmicrohttpd takes no answer in the middle of a body).
  {
    UniqueFd fd = connect_to(port);
    send_all(
        fd.get(),
        "PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string chunk = "400\r\n" + std::string(1024, 'c') + "\r\n";
    std::size_t sent = 0;
    bool answered = false;
    while (sent < 1024 * 1024 && !answered) {
      if (::send(fd.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL) <= 0) break;
      sent += 1024;
      pollfd readable{fd.get(), POLLIN, 0};
      answered = ::poll(&readable, 1, 5) > 0;
    }
    CHECK(sent < 64 * 1024);
    const auto started = std::chrono::steady_clock::now();
    CHECK(read_until_close(fd.get(), 10'000ms).empty());
    CHECK(std::chrono::steady_clock::now() - started < 5000ms);  // closed, not timed out
  }
  CHECK(!get_token(port).empty());  // still serving
}

TEST_CASE("serve server: slow clients holding every connection do not keep a new one out") {
  std::mutex mutex;
  std::vector<std::string> warnings;
  EndpointServerOptions options;
  options.connection_limit = 8;
  options.connection_reserve = 2;
  options.threads = 1;
  options.warn = [&](std::string_view line) {
    std::lock_guard lock(mutex);
    warnings.emplace_back(line);
  };
  TestServer test(options);
  const std::uint16_t port = test.server->port();
  const std::string token = get_token(port);
  // More slow clients than the server takes, each with a request it never finishes (within the
  // default deadlines, which this test never reaches).
  std::vector<UniqueFd> slow;
  for (int i = 0; i < 12; ++i) {
    slow.push_back(connect_to(port));
    send_all(slow.back().get(), "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a");
  }
  // A client that sends its whole request is answered: the slowest made room for it.
  for (int i = 0; i < 3; ++i) {
    const std::string response = round_trip(port, credentials_request(token));
    CHECK(status_of(response) == 200);
  }
  // The one that has waited longest was closed, unanswered.
  CHECK(read_until_close(slow.front().get(), 2000ms).empty());
  std::lock_guard lock(mutex);
  REQUIRE(warnings.size() == 1);  // once a minute at most
  CHECK(warnings[0].find("the endpoint's 8 connections are nearly all in use") !=
        std::string::npos);
}

TEST_CASE("serve server: a request trickled in is closed at its deadline, unanswered") {
  EndpointServerOptions options;
  options.idle_timeout = 2s;
  options.request_timeout = 1s;
  TestServer test(options);
  const std::uint16_t port = test.server->port();
  // One sends its request line and then a header a byte at a time; the other never even
  // finishes its request line. Both keep sending, so no idle timeout ever fires.
  UniqueFd headers = connect_to(port);
  send_all(headers.get(), "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
  UniqueFd request_line = connect_to(port);
  send_all(request_line.get(), "GET /");
  std::string answers;
  bool headers_closed = false, request_line_closed = false;
  const auto give_up = std::chrono::steady_clock::now() + 8s;
  while (!(headers_closed && request_line_closed) && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(200ms);
    for (auto [fd, closed] : {std::pair{headers.get(), &headers_closed},
                              std::pair{request_line.get(), &request_line_closed}}) {
      if (*closed) continue;
      pollfd readable{fd, POLLIN, 0};
      if (::poll(&readable, 1, 0) > 0) {  // the server's end: closed, or answered
        char buffer[512];
        const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
        if (got > 0) answers.append(buffer, static_cast<std::size_t>(got));
        *closed = true;
        continue;
      }
      ::send(fd, "a", 1, MSG_NOSIGNAL);
    }
  }
  CHECK(headers_closed);
  CHECK(request_line_closed);
  CHECK(answers.empty());
  CHECK(!get_token(port).empty());  // still serving
}

TEST_CASE("serve server: an HTTP/1.1 request must name its Host once; HTTP/1.0 need not") {
  TestServer test;
  const std::uint16_t port = test.server->port();
  const std::string token = get_token(port);
  const std::string path = kRolePath;

  // RFC 9112, section 3.2: 400 for an HTTP/1.1 request without Host, or with two.
  std::string response = round_trip(port, "PUT /latest/api/token HTTP/1.1\r\n\r\n");
  CHECK(status_of(response) == 400);
  CHECK(body_of(response).find("Host") != std::string::npos);
  response = round_trip(port, "GET " + path + " HTTP/1.1\r\nx-aws-ec2-metadata-token: " + token +
                                  "\r\nConnection: close\r\n\r\n");
  CHECK(status_of(response) == 400);
  CHECK(body_of(response).find("ASIA") == std::string::npos);
  response = round_trip(port,
                        "PUT /latest/api/token HTTP/1.1\r\nHost: 127.0.0.1\r\nhost: 127.0.0.1"
                        "\r\nConnection: close\r\n\r\n");
  CHECK(status_of(response) == 400);

  // HTTP/1.0 may leave Host out: served as before.
  response = round_trip(port, "PUT /latest/api/token HTTP/1.0\r\n\r\n");
  CHECK(status_of(response) == 200);
  CHECK(body_of(response).size() == 64);
  response = round_trip(
      port, "GET " + path + " HTTP/1.0\r\nx-aws-ec2-metadata-token: " + token + "\r\n\r\n");
  REQUIRE(status_of(response) == 200);
  CHECK(nlohmann::json::parse(body_of(response))["AccessKeyId"] == "ASIAFIRST");
}
