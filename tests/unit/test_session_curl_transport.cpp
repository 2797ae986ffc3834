// The libcurl transport against a tiny plain-HTTP server on 127.0.0.1: what goes out on the
// wire, what comes back, failures, proxy variables and connection reuse.
#include <doctest/doctest.h>

#include "rolesanywhere/error.hpp"
#include "rolesanywhere/session.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace rolesanywhere;

namespace {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// A TCP socket bound to a free port on 127.0.0.1; listening only if asked. Bound but not
// listening, it gives a port where connections are refused and that nobody else can take.
struct BoundSocket {
  Fd fd;
  int port = 0;
  explicit BoundSocket(bool listening) {
    fd = Fd(::socket(AF_INET, SOCK_STREAM, 0));
    REQUIRE(fd.get() >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port = ntohs(address.sin_port);
    if (listening) REQUIRE(::listen(fd.get(), 4) == 0);
  }
};

bool wait_readable(int fd, int timeout_ms) {
  pollfd entry{fd, POLLIN, 0};
  return ::poll(&entry, 1, timeout_ms) == 1;
}

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Serves `canned` to every request on every connection until stopped; records each raw
// request and counts connections. `silent` accepts and reads but never answers.
class LocalHttpServer {
 public:
  explicit LocalHttpServer(std::string canned, bool silent = false)
      : socket_(true), canned_(std::move(canned)), silent_(silent) {
    thread_ = std::thread([this] { run(); });
  }
  ~LocalHttpServer() {
    stop_ = true;
    thread_.join();
  }
  int port() const { return socket_.port; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port()); }
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  int connections() const { return connections_; }

 private:
  void run() {
    while (!stop_) {
      if (!wait_readable(socket_.fd.get(), 50)) continue;
      Fd connection(::accept(socket_.fd.get(), nullptr, nullptr));
      if (connection.get() < 0) continue;
      ++connections_;
      serve(connection.get());
    }
  }

  // Reads requests (headers, then Content-Length bytes of body) until the client closes.
  void serve(int fd) {
    std::string buffer;
    while (!stop_) {
      const auto header_end = buffer.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::size_t body_length = 0;
        const std::string head = lower(buffer.substr(0, header_end));
        if (const auto at = head.find("\r\ncontent-length:"); at != std::string::npos)
          body_length = std::stoul(head.substr(at + 17));
        const std::size_t total = header_end + 4 + body_length;
        if (buffer.size() >= total) {
          {
            std::lock_guard lock(mutex_);
            requests_.push_back(buffer.substr(0, total));
          }
          buffer.erase(0, total);
          if (!silent_) ::send(fd, canned_.data(), canned_.size(), MSG_NOSIGNAL);
          continue;
        }
      }
      if (!wait_readable(fd, 50)) continue;
      char chunk[4096];
      const ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
      if (got <= 0) return;
      buffer.append(chunk, static_cast<std::size_t>(got));
    }
  }

  BoundSocket socket_;
  std::string canned_;
  bool silent_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

// Sets (or, with nullopt, unsets) environment variables for one scope, then restores them.
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<const char*, std::optional<std::string>>> values) {
    for (const auto& entry : values) {
      // Not a structured binding: clang 14 cannot capture one in a lambda.
      const auto& name = entry.first;
      const auto& value = entry.second;
      const char* old = std::getenv(name);
      saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
      apply(name, value);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) apply(it->first, it->second);
  }

 private:
  static void apply(const std::string& name, const std::optional<std::string>& value) {
    if (value)
      ::setenv(name.c_str(), value->c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// Plain HTTP needs no CA, but the machine's CA variables must not steer the test either way,
// and a no_proxy list could hide what the proxy tests check.
ScopedEnv clean_environment() {
  return ScopedEnv{{"AWS_CA_BUNDLE", std::nullopt},  {"SSL_CERT_FILE", std::nullopt},
                   {"CURL_CA_BUNDLE", std::nullopt}, {"http_proxy", std::nullopt},
                   {"HTTP_PROXY", std::nullopt},     {"https_proxy", std::nullopt},
                   {"HTTPS_PROXY", std::nullopt},    {"all_proxy", std::nullopt},
                   {"ALL_PROXY", std::nullopt},      {"no_proxy", std::nullopt},
                   {"NO_PROXY", std::nullopt}};
}

const std::string kCannedCreated =
    "HTTP/1.1 201 Created\r\n"
    "Content-Type: application/json\r\n"
    "X-Amzn-RequestId: req-1\r\n"
    "Content-Length: 11\r\n"
    "\r\n"
    "{\"ok\":true}";

HttpRequest sample_request(int port) {
  HttpRequest request;
  request.method = "POST";
  request.path = "/sessions";
  request.query = "profileArn=arn%3Aaws%3Ax&roleArn=r";
  request.headers = {{"Host", "127.0.0.1:" + std::to_string(port)},
                     {"Content-Type", "application/json"},
                     {"X-Amz-Date", "20261123T093000Z"},
                     {"User-Agent", "rolesanywhere-helper/test (linux)"}};
  request.body = R"({"durationSeconds":3600})";
  return request;
}

TransportOptions fast_options() {
  TransportOptions options;
  options.connect_timeout = std::chrono::milliseconds{2000};
  options.total_timeout = std::chrono::milliseconds{5000};
  return options;
}

bool has_line(const std::string& raw, const std::string& line) {
  return raw.find("\r\n" + line + "\r\n") != std::string::npos;
}

}  // namespace

TEST_CASE("curl transport sends the request as given and reads the answer back") {
  const auto env = clean_environment();
  LocalHttpServer server(kCannedCreated);
  auto transport = make_curl_transport(fast_options());

  const HttpResponse response = transport->send(server.base_url(), sample_request(server.port()));
  CHECK(response.status == 201);
  CHECK(response.body == "{\"ok\":true}");
  CHECK(response.header("x-amzn-requestid") == "req-1");
  CHECK(response.header("Content-Type") == "application/json");

  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  const std::string& raw = requests[0];
  CHECK(raw.starts_with("POST /sessions?profileArn=arn%3Aaws%3Ax&roleArn=r HTTP/1.1\r\n"));
  CHECK(has_line(raw, "Host: 127.0.0.1:" + std::to_string(server.port())));
  CHECK(has_line(raw, "Content-Type: application/json"));
  CHECK(has_line(raw, "X-Amz-Date: 20261123T093000Z"));
  CHECK(has_line(raw, "User-Agent: rolesanywhere-helper/test (linux)"));
  CHECK(has_line(raw, "Content-Length: 24"));
  CHECK(lower(raw).find("\r\nexpect:") == std::string::npos);
  CHECK(lower(raw).find("\r\naccept:") == std::string::npos);
  CHECK(raw.ends_with("\r\n\r\n{\"durationSeconds\":3600}"));
}

TEST_CASE("curl transport reads a body that arrives in many pieces whole") {
  const auto env = clean_environment();
  // Far more than one libcurl write callback (16 KiB), so the body grows many times.
  std::string body;
  for (int i = 0; body.size() < 300'000; ++i) body += "piece " + std::to_string(i) + ";";
  LocalHttpServer server("HTTP/1.1 201 Created\r\nContent-Length: " + std::to_string(body.size()) +
                         "\r\n\r\n" + body);
  auto transport = make_curl_transport(fast_options());
  const HttpResponse response = transport->send(server.base_url(), sample_request(server.port()));
  CHECK(response.status == 201);
  CHECK(response.body.size() == body.size());
  CHECK(response.body == body);
}

// Issue 13: an endpoint (or a proxy) could make the helper allocate without bound.
namespace {

constexpr std::size_t kMaxBody = 1024 * 1024;

void require_too_large(HttpTransport& transport, const LocalHttpServer& server) {
  try {
    transport.send(server.base_url(), sample_request(server.port()));
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == Error::Kind::kService);
    CHECK(std::string(e.what()) == "the answer from " + server.base_url() +
                                       " was too large (over 1 MiB, where a CreateSession answer "
                                       "is a few kilobytes): is that the IAM Roles Anywhere "
                                       "endpoint?");
  }
}

std::string chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

}  // namespace

TEST_CASE("curl transport accepts a body of exactly 1 MiB") {
  const auto env = clean_environment();
  const std::string body(kMaxBody, 'x');
  LocalHttpServer server("HTTP/1.1 201 Created\r\nContent-Length: " + std::to_string(body.size()) +
                         "\r\n\r\n" + body);
  auto transport = make_curl_transport(fast_options());
  const HttpResponse response = transport->send(server.base_url(), sample_request(server.port()));
  CHECK(response.status == 201);
  CHECK(response.body.size() == kMaxBody);
}

TEST_CASE("curl transport refuses a body announced as larger than 1 MiB") {
  const auto env = clean_environment();
  const std::string body(kMaxBody + 1, 'x');
  LocalHttpServer server("HTTP/1.1 201 Created\r\nContent-Length: " + std::to_string(body.size()) +
                         "\r\n\r\n" + body);
  auto transport = make_curl_transport(fast_options());
  require_too_large(*transport, server);
}

TEST_CASE("curl transport stops reading a body without a length once it passes 1 MiB") {
  const auto env = clean_environment();
  // Chunked, so nothing announces the size, and never finished: only stopping at the limit
  // ends this send with the size error (reading on would end in the 5-second timeout).
  std::string endless = "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string piece(64 * 1024, 'x');
  while (endless.size() < 3 * kMaxBody) endless += chunk(piece);
  LocalHttpServer server(endless);
  auto transport = make_curl_transport(fast_options());
  require_too_large(*transport, server);

  // The transport stays usable for the next answer (a new connection: the old one was cut).
  LocalHttpServer good(kCannedCreated);
  CHECK(transport->send(good.base_url(), sample_request(good.port())).status == 201);
}

TEST_CASE("curl transport returns error statuses rather than throwing") {
  const auto env = clean_environment();
  LocalHttpServer server(
      "HTTP/1.1 403 Forbidden\r\nx-amzn-ErrorType: AccessDeniedException:http://x/\r\n"
      "Content-Length: 16\r\n\r\n{\"message\":\"no\"}");
  auto transport = make_curl_transport(fast_options());
  const HttpResponse response = transport->send(server.base_url(), sample_request(server.port()));
  CHECK(response.status == 403);
  CHECK(response.header("X-Amzn-ErrorType") == "AccessDeniedException:http://x/");
}

TEST_CASE("curl transport reuses one connection across sends") {
  const auto env = clean_environment();
  LocalHttpServer server(kCannedCreated);
  auto transport = make_curl_transport(fast_options());
  for (int i = 0; i < 3; ++i)
    CHECK(transport->send(server.base_url(), sample_request(server.port())).status == 201);
  CHECK(server.requests().size() == 3);
  CHECK(server.connections() == 1);
}

TEST_CASE("curl transport maps a refused connection to a transport error naming the host") {
  const auto env = clean_environment();
  BoundSocket closed_port(false);
  auto transport = make_curl_transport(fast_options());
  const std::string base_url = "http://127.0.0.1:" + std::to_string(closed_port.port);
  try {
    transport->send(base_url, sample_request(closed_port.port));
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == Error::Kind::kTransport);
    const std::string message = e.what();
    CHECK_MESSAGE(message.starts_with("could not reach " + base_url + ": "), message);
    // Only the origin is named, not the request's query.
    CHECK(message.find("profileArn") == std::string::npos);
  }
}

TEST_CASE("curl transport times out on a server that never answers") {
  const auto env = clean_environment();
  LocalHttpServer server("", /*silent=*/true);
  TransportOptions options = fast_options();
  options.total_timeout = std::chrono::milliseconds{300};
  auto transport = make_curl_transport(options);
  try {
    transport->send(server.base_url(), sample_request(server.port()));
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == Error::Kind::kTransport);
    CHECK(std::string(e.what()).starts_with("could not reach " + server.base_url()));
  }
}

TEST_CASE("curl transport ignores proxy variables unless use_proxy is set") {
  const auto base = clean_environment();
  LocalHttpServer server(kCannedCreated);
  BoundSocket dead_proxy(false);
  const std::string proxy = "http://127.0.0.1:" + std::to_string(dead_proxy.port);
  const ScopedEnv env{
      {"http_proxy", proxy}, {"HTTP_PROXY", proxy}, {"all_proxy", proxy}, {"ALL_PROXY", proxy}};

  auto direct = make_curl_transport(fast_options());
  CHECK(direct->send(server.base_url(), sample_request(server.port())).status == 201);

  // The same variables do take effect when proxying is asked for: the dead proxy refuses.
  TransportOptions with_proxy = fast_options();
  with_proxy.use_proxy = true;
  auto proxied = make_curl_transport(with_proxy);
  CHECK_THROWS_AS(proxied->send(server.base_url(), sample_request(server.port())), Error);
  CHECK(server.requests().size() == 1);
}

TEST_CASE("curl transport stops waiting for a silent server when cancelled") {
  const auto env = clean_environment();
  LocalHttpServer server("", /*silent=*/true);
  std::stop_source stop;
  TransportOptions options = fast_options();
  // Far longer than the test: only the cancel can end this send with kCancelled; the timeout
  // would end it as kTransport.
  options.total_timeout = std::chrono::milliseconds{120'000};
  options.cancel = stop.get_token();
  auto transport = make_curl_transport(options);
  std::thread stopper([&] {
    // Stop once the request has reached the server, i.e. while waiting for an answer.
    for (int i = 0; i < 200 && server.requests().empty(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds{25});
    stop.request_stop();
  });
  try {
    transport->send(server.base_url(), sample_request(server.port()));
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(e.kind() == Error::Kind::kCancelled);
    CHECK(std::string(e.what()) == "stopped before " + server.base_url() + " answered");
  }
  stopper.join();
  CHECK(server.requests().size() == 1);
}

TEST_CASE("curl transport does not connect once cancelled") {
  const auto env = clean_environment();
  LocalHttpServer server(kCannedCreated);
  std::stop_source stop;
  stop.request_stop();
  TransportOptions options = fast_options();
  options.cancel = stop.get_token();
  auto transport = make_curl_transport(options);
  CHECK_THROWS_WITH_AS(transport->send(server.base_url(), sample_request(server.port())),
                       ("stopped before " + server.base_url() + " answered").c_str(), Error);
  CHECK(server.connections() == 0);
}

TEST_CASE("curl transport with a cancel token that is never used still reuses its connection") {
  const auto env = clean_environment();
  LocalHttpServer server(kCannedCreated);
  std::stop_source stop;
  TransportOptions options = fast_options();
  options.cancel = stop.get_token();
  auto transport = make_curl_transport(options);
  for (int i = 0; i < 3; ++i)
    CHECK(transport->send(server.base_url(), sample_request(server.port())).status == 201);
  CHECK(server.connections() == 1);
}
