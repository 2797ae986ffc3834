// The HTTP side of the emulator: libmicrohttpd on 127.0.0.1, one thread per connection (so an
// injected delay never blocks the control endpoints), handing CreateSession requests to
// verify_create_session and answering with its verdict.
//
//   POST /sessions          CreateSession (subject to the fault plan)
//   POST /_emulator/faults  replace fields of the fault plan: {"fail_count":N,"cycle_pass":N,
//                           "cycle_fail":N,"fail_status":S,"delay_ms":N,"garbage_body":bool,
//                           "drop_connection":bool,"refuse_roles":["arn:...",...]}
//   GET  /_emulator/faults  the current plan
//   GET  /_emulator/stats   {"requests":N,"sessions_issued":N,"rejected":N,"faults_injected":N,
//                           "session_connections":N,"sessions":[{"access_key_id":"ASIA...",
//                           "role_arn":"arn:...","expiration":"..."},...]}
#pragma once

#include "emulator_config.hpp"
#include "fault_injection.hpp"
#include "rolesanywhere/clock.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rolesanywhere::emulator {

struct EmulatorServerOptions {
  std::uint16_t port = 0;  // 0: the system picks a free port; ask port() afterwards
  // PEM text (not paths): libmicrohttpd hands them to GnuTLS. Both or neither.
  std::optional<std::string> tls_certificate_pem;
  std::optional<std::string> tls_key_pem;
  FaultPlan faults;
  std::function<TimePoint()> now;  // default: the system clock
  // One line per request verdict, plus the canonical request; unset: quiet. Never gets secrets.
  std::function<void(std::string_view)> log;
};

// A session handed out, so a test can tell which role an access key it was served belongs to.
// Never the secret key or the session token.
struct IssuedSession {
  std::string access_key_id;
  std::string role_arn;
  std::string expiration;  // ISO 8601
};

// The stats list only this many sessions (the latest), so a long soak does not grow without end.
inline constexpr std::size_t kMaxSessionsListed = 1000;

struct EmulatorStats {
  std::uint64_t requests = 0;         // CreateSession requests received
  std::uint64_t sessions_issued = 0;  // answered 201 with credentials
  std::uint64_t rejected = 0;         // answered with the verifier's error
  std::uint64_t faults_injected = 0;  // answered (or dropped) by the fault plan
  // TCP (or TLS) connections that carried at least one CreateSession: a client that keeps its
  // connection alive across requests counts once.
  std::uint64_t session_connections = 0;
  std::vector<IssuedSession> sessions;  // the latest kMaxSessionsListed, oldest first
};

class EmulatorServer {
 public:
  // Starts listening; throws Error naming the problem (port in use, TLS unsupported, bad PEM).
  EmulatorServer(EmulatorConfig config, EmulatorServerOptions options);
  ~EmulatorServer();  // stops the daemon, waiting for connections in flight
  EmulatorServer(const EmulatorServer&) = delete;
  EmulatorServer& operator=(const EmulatorServer&) = delete;

  std::uint16_t port() const noexcept;
  EmulatorStats stats() const;
  FaultState& faults() noexcept;

  struct State;  // shared with the libmicrohttpd callbacks

 private:
  std::unique_ptr<State> state_;
};

}  // namespace rolesanywhere::emulator
