#include "emulator_server.hpp"

#include "httpd/mhd_api.hpp"
#include "httpd/mhd_daemon.hpp"
#include "json_text.hpp"
#include "rolesanywhere/doctor.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/http.hpp"
#include "session_response.hpp"
#include "verify_session.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <new>
#include <thread>

namespace rolesanywhere::emulator {

namespace {

// Bodies larger than this are not CreateSession requests; stop buffering and refuse.
constexpr std::size_t kMaxBody = 64 * 1024;

// Per-request state, created by the URI callback (the only place libmicrohttpd shows the
// request target exactly as sent, which the canonical query needs) and freed when it completes.
struct RequestState {
  std::string raw_target;
  std::string body;
  bool started = false;
  bool too_large = false;
};

// Per-connection state, for counting the connections that carried CreateSession requests: a
// client that reuses its connection across refreshes adds one, however many requests it sends.
struct ConnectionState {
  bool carried_session = false;
};

}  // namespace

struct EmulatorServer::State {
  EmulatorConfig config;
  EmulatorServerOptions options;
  FaultState faults;
  std::atomic<std::uint64_t> requests{0}, sessions_issued{0}, rejected{0}, faults_injected{0},
      session_connections{0};
  mutable std::mutex sessions_mutex;
  std::deque<IssuedSession> sessions;  // the latest kMaxSessionsListed
  MhdDaemonPtr daemon;
  std::uint16_t port = 0;

  void record_session(IssuedSession session) {
    std::lock_guard lock(sessions_mutex);
    sessions.push_back(std::move(session));
    if (sessions.size() > kMaxSessionsListed) sessions.pop_front();
  }
  std::vector<IssuedSession> issued_sessions() const {
    std::lock_guard lock(sessions_mutex);
    return {sessions.begin(), sessions.end()};
  }

  void log(std::string_view line) const {
    if (options.log) options.log(line);
  }
  TimePoint now() const { return options.now ? options.now() : std::chrono::system_clock::now(); }
};

namespace {

using State = EmulatorServer::State;

// ' with instance properties {"k":"v"}' for the verdict line, so tests see what arrived.
std::string instance_properties_text(const std::map<std::string, std::string>& properties) {
  if (properties.empty()) return {};
  return " with instance properties " + json_text(nlohmann::json(properties));
}

MHD_Result send(MHD_Connection* connection, int status, const std::string& body,
                const std::vector<HttpHeader>& headers = {}) {
  MhdResponsePtr response(mhd_api().create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY));
  if (!response) return MHD_NO;
  mhd_api().add_response_header(response.get(), "Content-Type", "application/json");
  mhd_api().add_response_header(response.get(), "x-amzn-RequestId", random_uuid().c_str());
  add_mhd_response_headers(response.get(), headers);
  return mhd_api().queue_response(connection, static_cast<unsigned int>(status), response.get());
}

MHD_Result send_fault(MHD_Connection* connection, int status, const std::string& type,
                      const std::string& message, std::vector<HttpHeader> headers = {}) {
  headers.push_back({"x-amzn-ErrorType", type});
  return send(connection, status, error_response_body(message), headers);
}

// The emulator's own time (--clock-offset included), as the service's answers carry it: doctor
// compares the local clock with it. libmicrohttpd adds none of its own when one is set.
HttpHeader date_header(TimePoint now) { return {"Date", doctor::format_http_date(now)}; }

// The answer when handling a request threw: nothing here may throw in turn, since the exception
// would unwind into libmicrohttpd's C code. A fixed body, no allocation, no random request id.
MHD_Result send_internal_error(MHD_Connection* connection) noexcept {
  static constexpr char kBody[] =
      R"({"message":"internal error in the emulator; run it with --verbose to see why"})";
  MhdResponsePtr response(mhd_api().create_response_from_buffer(
      sizeof kBody - 1, const_cast<char*>(kBody), MHD_RESPMEM_PERSISTENT));
  if (!response) return MHD_NO;
  mhd_api().add_response_header(response.get(), "Content-Type", "application/json");
  mhd_api().add_response_header(response.get(), "x-amzn-ErrorType", "InternalServerException");
  return mhd_api().queue_response(connection, 500, response.get());
}

HttpRequest build_request(MHD_Connection* connection, const char* method,
                          const RequestState& request_state) {
  HttpRequest request;
  request.method = method;
  const std::string& target = request_state.raw_target;
  const std::size_t question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string::npos) request.query = target.substr(question + 1);
  request.headers = mhd_request_headers(connection);
  request.body = request_state.body;
  return request;
}

MHD_Result handle_control(State& state, MHD_Connection* connection, const HttpRequest& request) {
  if (request.path == "/_emulator/stats" && request.method == "GET") {
    nlohmann::json stats = {{"requests", state.requests.load()},
                            {"sessions_issued", state.sessions_issued.load()},
                            {"rejected", state.rejected.load()},
                            {"faults_injected", state.faults_injected.load()},
                            {"session_connections", state.session_connections.load()},
                            {"sessions", nlohmann::json::array()}};
    for (const auto& session : state.issued_sessions())
      stats["sessions"].push_back({{"access_key_id", session.access_key_id},
                                   {"role_arn", session.role_arn},
                                   {"expiration", session.expiration}});
    return send(connection, 200, json_text(stats));
  }
  if (request.path == "/_emulator/faults" && request.method == "GET")
    return send(connection, 200, fault_plan_json(state.faults.current()));
  if (request.path == "/_emulator/faults" && request.method == "POST") {
    try {
      const FaultPlan plan = parse_fault_plan(request.body, state.faults.current());
      state.faults.replace(plan);
      state.log("faults set to " + fault_plan_json(plan));
      return send(connection, 200, fault_plan_json(plan));
    } catch (const Error& error) {
      return send_fault(connection, 400, "ValidationException", error.what());
    }
  }
  return send_fault(connection, 404, "UnknownOperationException",
                    "control endpoints: GET /_emulator/stats, GET|POST /_emulator/faults");
}

void count_session_connection(State& state, MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      mhd_api().get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  auto* connection_state = info ? static_cast<ConnectionState*>(info->socket_context) : nullptr;
  if (connection_state && !connection_state->carried_session) {
    connection_state->carried_session = true;
    ++state.session_connections;
  }
}

MHD_Result handle_create_session(State& state, MHD_Connection* connection,
                                 const HttpRequest& request) {
  ++state.requests;
  count_session_connection(state, connection);
  const FaultDecision decision = state.faults.next();
  if (decision.delay_ms > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(decision.delay_ms));
  const std::string line_start = request.method + " " + request.path + " -> ";
  switch (decision.action) {
    case FaultAction::kDropConnection:
      ++state.faults_injected;
      state.log(line_start + "connection dropped (injected fault)");
      return MHD_NO;  // libmicrohttpd closes the connection without an answer
    case FaultAction::kGarbageBody:
      ++state.faults_injected;
      state.log(line_start + "201 with a garbage body (injected fault)");
      return send(connection, 201, "<html>this is not the JSON you are looking for");
    case FaultAction::kStatus: {
      ++state.faults_injected;
      const std::string type = error_type_for_status(decision.status);
      state.log(line_start + std::to_string(decision.status) + " " + type + " (injected fault)");
      return send_fault(connection, decision.status, type,
                        "injected fault: the emulator was told to answer HTTP " +
                            std::to_string(decision.status) + " " + type);
    }
    case FaultAction::kNone:
      break;
  }

  const TimePoint now = state.now();
  const VerificationResult result = verify_create_session(request, state.config, now);
  if (!result.canonical_request.empty())
    state.log("canonical request:\n" + result.canonical_request + "\nstring to sign:\n" +
              result.string_to_sign);
  if (!result.accepted()) {
    ++state.rejected;
    const ServiceFault& fault = result.fault();
    state.log(line_start + std::to_string(fault.status) + " " + fault.type + ": " + fault.message);
    return send_fault(connection, fault.status, fault.type, fault.message, {date_header(now)});
  }
  SessionGrant grant = result.grant();
  if (state.faults.refuses_role(grant.role_arn)) {
    ++state.faults_injected;
    state.log(line_start + "403 AccessDeniedException for role " + grant.role_arn +
              " (injected fault: refuse_roles)");
    return send_fault(
        connection, 403, "AccessDeniedException",
        "injected fault: the emulator was told to refuse role '" + grant.role_arn + "'",
        {date_header(now)});
  }
  if (state.config.max_session_seconds > 0)
    grant.duration_seconds = std::min(grant.duration_seconds, state.config.max_session_seconds);
  SessionResponse response = create_session_response(grant, now);
  state.record_session({response.access_key_id, grant.role_arn, response.expiration});
  ++state.sessions_issued;
  state.log(line_start + "201 session for '" + grant.subject + "' (serial " + grant.serial_decimal +
            ") as " + grant.role_arn + " for " + std::to_string(grant.duration_seconds) + "s" +
            instance_properties_text(grant.instance_properties));
  return send(connection, 201, response.body, {date_header(now)});
}

void* on_request_start(void*, const char* uri, MHD_Connection*) {
  auto* request_state = new RequestState;
  request_state->raw_target = uri ? uri : "";
  return request_state;
}

void on_connection(void*, MHD_Connection*, void** socket_context,
                   MHD_ConnectionNotificationCode code) {
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    *socket_context = new (std::nothrow) ConnectionState;
  } else {  // MHD_CONNECTION_NOTIFY_CLOSED
    delete static_cast<ConnectionState*>(*socket_context);
    *socket_context = nullptr;
  }
}

void on_request_completed(void*, MHD_Connection*, void** request_cls, MHD_RequestTerminationCode) {
  delete static_cast<RequestState*>(*request_cls);
  *request_cls = nullptr;
}

MHD_Result on_request(void* cls, MHD_Connection* connection, const char*, const char* method,
                      const char*, const char* upload_data, size_t* upload_data_size,
                      void** request_cls) {
  auto& state = *static_cast<State*>(cls);
  auto* request_state = static_cast<RequestState*>(*request_cls);
  if (!request_state) return MHD_NO;
  if (!request_state->started) {  // headers are in; the body (if any) comes next
    request_state->started = true;
    return MHD_YES;
  }
  if (*upload_data_size != 0) {
    if (request_state->body.size() + *upload_data_size > kMaxBody)
      request_state->too_large = true;
    else
      request_state->body.append(upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  try {
    if (request_state->too_large)
      return send_fault(connection, 413, "ValidationException",
                        "the request body is larger than " + std::to_string(kMaxBody) + " bytes");
    const HttpRequest request = build_request(connection, method, *request_state);
    if (request.path.starts_with("/_emulator/")) return handle_control(state, connection, request);
    return handle_create_session(state, connection, request);
  } catch (const std::exception& error) {
    try {
      state.log(std::string("internal error: ") + error.what());
    } catch (...) {  // the log line is best effort; the answer below is what matters
    }
    return send_internal_error(connection);
  } catch (...) {
    return send_internal_error(connection);
  }
}

}  // namespace

EmulatorServer::EmulatorServer(EmulatorConfig config, EmulatorServerOptions options)
    : state_(std::make_unique<State>()) {
  state_->config = std::move(config);
  state_->options = std::move(options);
  check_fault_plan(state_->options.faults);
  state_->faults.replace(state_->options.faults);

  const auto& tls_certificate = state_->options.tls_certificate_pem;
  const auto& tls_key = state_->options.tls_key_pem;
  if (tls_certificate.has_value() != tls_key.has_value())
    throw Error(Error::Kind::kInvalidArgument, "--tls-cert and --tls-key go together");
  const bool tls = tls_certificate.has_value();
  if (tls && mhd_api().is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
    throw Error(Error::Kind::kNotSupported, "this libmicrohttpd was built without TLS support");

  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(state_->options.port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  unsigned int flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
  if (tls) flags |= MHD_USE_TLS;

  std::vector<MHD_OptionItem> items = {
      {MHD_OPTION_SOCK_ADDR, 0, &address},
      {MHD_OPTION_URI_LOG_CALLBACK, reinterpret_cast<intptr_t>(&on_request_start), nullptr},
      {MHD_OPTION_NOTIFY_COMPLETED, reinterpret_cast<intptr_t>(&on_request_completed), nullptr},
      {MHD_OPTION_NOTIFY_CONNECTION, reinterpret_cast<intptr_t>(&on_connection), nullptr},
      {MHD_OPTION_CONNECTION_TIMEOUT, 30, nullptr},
  };
  if (tls) {
    items.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, const_cast<char*>(tls_certificate->c_str())});
    items.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, const_cast<char*>(tls_key->c_str())});
  }
  state_->daemon = start_mhd_daemon(flags, state_->options.port, &on_request, state_.get(),
                                    std::move(items), state_->options.log);
  if (!state_->daemon)
    throw Error(Error::Kind::kInvalidArgument,
                "cannot listen on 127.0.0.1:" + std::to_string(state_->options.port) +
                    (tls ? " with TLS (check the --tls-cert/--tls-key PEM)" : "") +
                    ": the port may be in use");
  const MHD_DaemonInfo* info =
      mhd_api().get_daemon_info(state_->daemon.get(), MHD_DAEMON_INFO_BIND_PORT);
  state_->port = info ? info->port : state_->options.port;
}

EmulatorServer::~EmulatorServer() = default;

std::uint16_t EmulatorServer::port() const noexcept { return state_->port; }

EmulatorStats EmulatorServer::stats() const {
  return {state_->requests.load(),
          state_->sessions_issued.load(),
          state_->rejected.load(),
          state_->faults_injected.load(),
          state_->session_connections.load(),
          state_->issued_sessions()};
}

FaultState& EmulatorServer::faults() noexcept { return state_->faults; }

}  // namespace rolesanywhere::emulator
