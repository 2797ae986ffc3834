#include "connection_guard.hpp"

#include <iterator>

namespace rolesanywhere::serve {

ConnectionGuard::ConnectionGuard(Limits limits, Drop drop)
    : limits_(limits), drop_(std::move(drop)) {}

ConnectionGuard::Connection* ConnectionGuard::opened(int fd, TimePoint now, bool* evicted) {
  std::lock_guard lock(mutex_);
  Connection& connection = connections_.emplace_back();
  connection.fd = fd;
  connection.since = now;
  connection.self = std::prev(connections_.end());
  if (evicted) *evicted = false;

  const std::size_t free_slots = limits_.capacity > connections_.size() - dropped_
                                     ? limits_.capacity - (connections_.size() - dropped_)
                                     : 0;
  if (free_slots >= limits_.reserve) return &connection;
  // The front has waited longest; the new connection, at the back, is never its own victim.
  for (Connection& candidate : connections_) {
    if (&candidate == &connection) break;
    if (candidate.dropped || candidate.phase == Phase::kAnswering) continue;
    drop(candidate);
    if (evicted) *evicted = true;
    break;
  }
  return &connection;
}

void ConnectionGuard::enter(Connection* connection, Phase phase, TimePoint now) {
  connection->phase = phase;
  connection->since = now;
  connections_.splice(connections_.end(), connections_, connection->self);
}

void ConnectionGuard::request_started(Connection* connection, TimePoint now) {
  std::lock_guard lock(mutex_);
  enter(connection, Phase::kReceivingRequest, now);
}

void ConnectionGuard::request_received(Connection* connection) {
  std::lock_guard lock(mutex_);
  connection->phase = Phase::kAnswering;
}

void ConnectionGuard::request_finished(Connection* connection, TimePoint now) {
  std::lock_guard lock(mutex_);
  enter(connection, Phase::kWaitingForRequest, now);
}

void ConnectionGuard::closed(Connection* connection) {
  std::lock_guard lock(mutex_);
  if (connection->dropped) --dropped_;
  connections_.erase(connection->self);
}

bool ConnectionGuard::overdue(const Connection& connection, TimePoint now) const {
  switch (connection.phase) {
    case Phase::kWaitingForRequest:
      return now - connection.since >= limits_.idle_timeout;
    case Phase::kReceivingRequest:
      return now - connection.since >= limits_.request_timeout;
    case Phase::kAnswering:
      break;
  }
  return false;
}

void ConnectionGuard::drop(Connection& connection) {
  connection.dropped = true;
  ++dropped_;
  if (drop_) drop_(connection.fd);
}

std::size_t ConnectionGuard::drop_overdue(TimePoint now) {
  std::lock_guard lock(mutex_);
  std::size_t count = 0;
  for (Connection& connection : connections_) {
    if (connection.dropped || !overdue(connection, now)) continue;
    drop(connection);
    ++count;
  }
  return count;
}

std::size_t ConnectionGuard::live() const {
  std::lock_guard lock(mutex_);
  return connections_.size() - dropped_;
}

}  // namespace rolesanywhere::serve
