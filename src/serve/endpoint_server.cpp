#include "endpoint_server.hpp"

#include "connection_guard.hpp"
#include "httpd/mhd_api.hpp"
#include "httpd/mhd_daemon.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/text.hpp"

#include <openssl/crypto.h>
#include <sys/socket.h>

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

namespace rolesanywhere::serve {

namespace {

// Per connection: whether a request is under way on it, so a connection that closes in the
// middle of a request still takes that request off the in-flight count; and its deadlines.
struct ConnectionState {
  bool in_request = false;
  ConnectionGuard::Connection* guarded = nullptr;
};

// Per request: from its first line to its completion.
struct RequestState {
  ConnectionState* connection = nullptr;
  bool headers_seen = false;
  std::size_t body_bytes = 0;
};

}  // namespace

struct EndpointServer::State {
  RequestHandler handler;
  EndpointServerOptions options;
  SocketAddress address;
  std::unique_ptr<ConnectionGuard> guard;  // outlives the daemon, whose callbacks report to it
  MhdDaemonPtr daemon;
  std::jthread deadline_timer;  // drops the connections past their deadlines
  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::size_t> evicted{0};  // since the deadline timer last said so (--debug)
  std::atomic<std::int64_t> last_full_warning_ns{0};  // steady clock; 0: never
  std::atomic<bool> draining{false};
  std::mutex shutdown_mutex;
  bool stopped = false;

  void debug_line(const std::string& line) const { debug(options.debug, line); }

  // A new connection found too few free slots, and the one that had waited longest for its
  // request was closed for it: slow or idle clients, or more clients than the endpoint takes.
  // Said at most once a minute, whatever the threads.
  void connection_evicted() {
    ++evicted;
    if (!options.warn) return;
    const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count();
    std::int64_t last = last_full_warning_ns.load();
    constexpr std::int64_t kMinute = 60'000'000'000;
    if ((last != 0 && now - last < kMinute) ||
        !last_full_warning_ns.compare_exchange_strong(last, now))
      return;
    options.warn("warning: the endpoint's " + std::to_string(options.connection_limit) +
                 " connections are nearly all in use: new clients get the slots of those that "
                 "have waited longest for their request (slow or idle clients, or too many)");
  }

  void request_started(ConnectionState* connection) {
    if (connection && !connection->in_request) {
      connection->in_request = true;
      ++in_flight;
    }
  }
  void request_finished(ConnectionState* connection) {
    if (connection && connection->in_request) {
      connection->in_request = false;
      --in_flight;
    }
  }
};

namespace {

using State = EndpointServer::State;

// The body may hold credentials: it is copied once into a buffer that libmicrohttpd frees
// through this callback, which wipes it first.
void wipe_and_free_body(void* cls) {
  auto* body = static_cast<std::string*>(cls);
  OPENSSL_cleanse(body->data(), body->size());
  delete body;
}

MHD_Result send(State& state, MHD_Connection* connection, HttpResponse&& answer) {
  auto* body = new std::string(std::move(answer.body));
  OPENSSL_cleanse(answer.body.data(), answer.body.size());
  MhdResponsePtr response(mhd_api().create_response_from_buffer_with_free_callback_cls(
      body->size(), body->data(), &wipe_and_free_body, body));
  if (!response) {
    wipe_and_free_body(body);
    return MHD_NO;
  }
  add_mhd_response_headers(response.get(), answer.headers);
  // While draining, clients are told not to reuse the connection: the next request should find
  // the port closed rather than be cut off.
  if (state.draining) mhd_api().add_response_header(response.get(), "Connection", "close");
  return mhd_api().queue_response(connection, static_cast<unsigned int>(answer.status),
                                  response.get());
}

HttpResponse plain(long status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.headers.push_back({"Content-Type", "text/plain"});
  response.body = std::move(body);
  return response;
}

// The Content-Length a request declares, or 0 without one (or with one that is not a number,
// which libmicrohttpd refuses itself).
std::uint64_t declared_body_length(MHD_Connection* connection) {
  const char* text = mhd_api().lookup_connection_value(connection, MHD_HEADER_KIND,
                                                       MHD_HTTP_HEADER_CONTENT_LENGTH);
  if (!text) return 0;
  std::uint64_t length = 0;
  const char* end = text + std::strlen(text);
  const auto [stop, error] = std::from_chars(text, end, length);
  if (error == std::errc::result_out_of_range) return UINT64_MAX;
  return error == std::errc() ? length : 0;
}

ConnectionState* connection_state(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      mhd_api().get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return info ? static_cast<ConnectionState*>(info->socket_context) : nullptr;
}

ConnectionGuard::TimePoint now() { return std::chrono::steady_clock::now(); }

void on_connection(void* cls, MHD_Connection* connection, void** socket_context,
                   MHD_ConnectionNotificationCode code) {
  auto& state = *static_cast<State*>(cls);
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    auto* connection_state = new ConnectionState;
    *socket_context = connection_state;
    const MHD_ConnectionInfo* info =
        mhd_api().get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!info) return;
    if (!set_hop_limit(info->connect_fd, state.options.hop_limit))
      state.debug_line("could not set the hop limit on an accepted connection");
    bool evicted = false;
    connection_state->guarded = state.guard->opened(info->connect_fd, now(), &evicted);
    if (evicted) state.connection_evicted();
    return;
  }
  // MHD_CONNECTION_NOTIFY_CLOSED, before libmicrohttpd closes the socket
  auto* connection_state = static_cast<ConnectionState*>(*socket_context);
  if (!connection_state) return;
  state.request_finished(connection_state);
  if (connection_state->guarded) state.guard->closed(connection_state->guarded);
  delete connection_state;
  *socket_context = nullptr;
}

void* on_request_start(void* cls, const char*, MHD_Connection* connection) {
  auto& state = *static_cast<State*>(cls);
  auto* request = new RequestState;
  request->connection = connection_state(connection);
  state.request_started(request->connection);
  if (request->connection && request->connection->guarded)
    state.guard->request_started(request->connection->guarded, now());
  return request;
}

void on_request_completed(void* cls, MHD_Connection*, void** request_cls,
                          MHD_RequestTerminationCode) {
  auto& state = *static_cast<State*>(cls);
  auto* request = static_cast<RequestState*>(*request_cls);
  if (!request) return;
  state.request_finished(request->connection);
  if (request->connection && request->connection->guarded)
    state.guard->request_finished(request->connection->guarded, now());
  delete request;
  *request_cls = nullptr;
}

// The whole request is in (or refused on its headers): it is answered now, so no deadline of
// the guard applies to it.
void answering(State& state, const RequestState& request) {
  if (request.connection && request.connection->guarded)
    state.guard->request_received(request.connection->guarded);
}

// RFC 9112, section 3.2: a server answers 400 to an HTTP/1.1 request without a Host header, and
// to any with more than one. HTTP/1.0 clients may leave it out.
const char* host_header_problem(const char* version, MHD_Connection* connection) {
  std::size_t hosts = 0;
  mhd_api().get_connection_values(
      connection, MHD_HEADER_KIND,
      [](void* cls, MHD_ValueKind, const char* name, const char*) {
        if (name && iequals(name, MHD_HTTP_HEADER_HOST)) ++*static_cast<std::size_t*>(cls);
        return MHD_YES;
      },
      &hosts);
  if (hosts > 1) return "more than one Host header";
  const bool http_1_0 = version && std::strcmp(version, MHD_HTTP_VERSION_1_0) == 0;
  if (hosts == 0 && !http_1_0) return "an HTTP/1.1 request without a Host header";
  return nullptr;
}

MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url, const char* method,
                      const char* version, const char*, size_t* upload_data_size,
                      void** request_cls) {
  auto& state = *static_cast<State*>(cls);
  auto* request_state = static_cast<RequestState*>(*request_cls);
  if (!request_state) return MHD_NO;
  // A body larger than the limit is refused as soon as that is known rather than read to its
  // end, which a client could make endless: from its Content-Length, with a 413 (libmicrohttpd
  // then reads none of the body and closes the connection), or, for a chunked body, by closing
  // the connection once the limit is passed (libmicrohttpd takes no answer in mid-body).
  const auto over_limit = [&](const char* outcome) {
    state.debug_line(log_safe(method ? method : "") + " " + log_safe(url ? url : "") + " -> " +
                     outcome + " (body over " + std::to_string(state.options.max_body_bytes) +
                     " bytes)");
  };
  if (!request_state->headers_seen) {  // headers are in; a body, if any, comes next
    request_state->headers_seen = true;
    if (const char* problem = host_header_problem(version, connection)) {
      state.debug_line(log_safe(method ? method : "") + " " + log_safe(url ? url : "") +
                       " -> 400 (" + problem + ")");
      answering(state, *request_state);
      return send(state, connection, plain(400, std::string("bad request: ") + problem));
    }
    if (declared_body_length(connection) > state.options.max_body_bytes) {
      over_limit("413");
      answering(state, *request_state);
      return send(state, connection, plain(413, "request body too large"));
    }
    return MHD_YES;
  }
  if (*upload_data_size != 0) {  // counted and dropped: no endpoint reads a body
    request_state->body_bytes += *upload_data_size;
    *upload_data_size = 0;
    if (request_state->body_bytes <= state.options.max_body_bytes) return MHD_YES;
    over_limit("connection closed");
    return MHD_NO;
  }

  answering(state, *request_state);
  HttpRequest request;
  request.method = method ? method : "";
  request.path = url ? url : "";
  HttpResponse answer;
  {
    request.headers = mhd_request_headers(connection);
    try {
      answer = state.handler(request);
    } catch (const std::exception& error) {
      state.debug_line(std::string("internal error answering a request: ") + error.what());
      answer = plain(500, "internal error");
    }
    // Header values hold metadata tokens and the container Authorization token; our copies are
    // wiped (libmicrohttpd's own connection buffer is reused for the next request).
    for (HttpHeader& header : request.headers)
      OPENSSL_cleanse(header.value.data(), header.value.size());
  }
  if (state.options.debug)  // the line is built only when someone reads it: this is the hot path
    state.debug_line(log_safe(request.method) + " " + log_safe(request.path) + " -> " +
                     std::to_string(answer.status));
  return send(state, connection, std::move(answer));
}

}  // namespace

EndpointServer::EndpointServer(UniqueFd listen_socket, RequestHandler handler,
                               EndpointServerOptions options)
    : state_(std::make_unique<State>()) {
  state_->handler = std::move(handler);
  state_->options = std::move(options);
  state_->address = local_address(listen_socket.get());
  const EndpointServerOptions& settings = state_->options;
  state_->guard = std::make_unique<ConnectionGuard>(
      ConnectionGuard::Limits{settings.connection_limit, settings.connection_reserve,
                              settings.idle_timeout, settings.request_timeout},
      // The server notices the end of the connection and closes it on its own thread.
      [](int fd) { ::shutdown(fd, SHUT_RDWR); });

  // poll(2), not epoll: with epoll, libmicrohttpd 0.9.75's MHD_quiesce_daemon removes the listening
  // socket from each worker's epoll set while that worker may be removing it itself (it saw the
  // quiesce, or reached its connection limit), and aborts the process when the second removal
  // fails ("Failed to remove listen FD from epoll set"; seen under ASan with requests in flight
  // during a shutdown). With poll, the quiesce only wakes the workers through the ITC and each
  // rebuilds its poll set without the socket. A pool thread polls a few hundred sockets at most.
  const unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC;
  const int fd = listen_socket.get();
  // On the listening socket too: Linux sends the SYN-ACK with its hop limit, and accepted sockets
  // start from it. Each accepted socket is still set (on_connection) in case one did not.
  if (!set_hop_limit(fd, state_->options.hop_limit))
    state_->debug_line("could not set the hop limit on the listening socket");
  std::vector<MHD_OptionItem> items = {
      {MHD_OPTION_LISTEN_SOCKET, fd, nullptr},
      {MHD_OPTION_THREAD_POOL_SIZE, static_cast<intptr_t>(std::max(1u, state_->options.threads)),
       nullptr},
      {MHD_OPTION_CONNECTION_LIMIT, static_cast<intptr_t>(state_->options.connection_limit),
       nullptr},
      {MHD_OPTION_CONNECTION_TIMEOUT, static_cast<intptr_t>(state_->options.idle_timeout.count()),
       nullptr},
      {MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<intptr_t>(state_->options.connection_memory),
       nullptr},
      {MHD_OPTION_NOTIFY_CONNECTION, reinterpret_cast<intptr_t>(&on_connection), state_.get()},
      {MHD_OPTION_URI_LOG_CALLBACK, reinterpret_cast<intptr_t>(&on_request_start), state_.get()},
      {MHD_OPTION_NOTIFY_COMPLETED, reinterpret_cast<intptr_t>(&on_request_completed),
       state_.get()},
  };
  state_->daemon = start_mhd_daemon(flags, 0, &on_request, state_.get(), std::move(items),
                                    state_->options.debug);
  if (!state_->daemon)
    throw Error(Error::Kind::kInternal,
                "libmicrohttpd could not start serving on " + state_->address.local_url());
  listen_socket.release();  // the daemon owns it now (MHD_quiesce_daemon hands it back)
  state_->deadline_timer = std::jthread([state = state_.get()](std::stop_token stop) {
    std::mutex mutex;
    std::condition_variable_any tick;
    std::unique_lock lock(mutex);
    // A quarter of a second late at most: the deadlines are seconds.
    while (!tick.wait_for(lock, stop, std::chrono::milliseconds(250),
                          [&stop] { return stop.stop_requested(); })) {
      // Said at most once a tick: a flood of slow clients must not become a flood of lines.
      if (const std::size_t dropped = state->guard->drop_overdue(now()))
        state->debug_line("closed " + std::to_string(dropped) +
                          " connection(s) that did not send a whole request in time");
      if (const std::size_t evicted = state->evicted.exchange(0))
        state->debug_line("closed " + std::to_string(evicted) +
                          " connection(s) waiting longest for a request, to make room for new "
                          "ones");
    }
  });
}

EndpointServer::~EndpointServer() { shutdown(std::chrono::milliseconds(0)); }

const SocketAddress& EndpointServer::address() const noexcept { return state_->address; }

std::size_t EndpointServer::requests_in_flight() const noexcept { return state_->in_flight.load(); }

void EndpointServer::shutdown(std::chrono::milliseconds drain) {
  std::lock_guard lock(state_->shutdown_mutex);
  if (state_->stopped) return;
  state_->stopped = true;
  state_->draining = true;
  // Stop accepting: the listening socket comes back to us. libmicrohttpd's threads drop it from
  // their poll sets only some time later, so it must stay open until the daemon has stopped (a
  // number closed early can be reused by another open and then polled by them, ThreadSanitizer
  // saw it); shutdown(2) stops it listening at once, so new clients are refused meanwhile.
  const UniqueFd listener(mhd_api().quiesce_daemon(state_->daemon.get()));
  if (listener) ::shutdown(listener.get(), SHUT_RDWR);
  const auto deadline = std::chrono::steady_clock::now() + drain;
  while (state_->in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (state_->in_flight.load() > 0)
    state_->debug_line("stopping with " + std::to_string(state_->in_flight.load()) +
                       " request(s) still unfinished after the drain time");
  state_->daemon.reset();
  state_->deadline_timer = {};  // stops and joins it
}

}  // namespace rolesanywhere::serve
