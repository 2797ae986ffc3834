// The HTTP transport over libcurl. One easy handle and one multi handle live as long as the
// transport, so the connection made for the first CreateSession is reused by later ones while
// the service keeps it open (retries, short sessions; refreshes an hour apart reconnect, after
// libcurl's 118 s MAXAGE_CONN, offering to resume the TLS session). Transfers run on the multi
// handle rather than curl_easy_perform so that a stop request can wake the wait at once: a
// service that accepts the connection and never answers must not hold SIGTERM for 30 seconds.
//
// libcurl is called through the table curl_api() loads at the first transport (curl_api.hpp).
#include "curl_api.hpp"
#include "rolesanywhere/error.hpp"
#include "rolesanywhere/session.hpp"
#include "rolesanywhere/text.hpp"

#include <openssl/crypto.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

namespace rolesanywhere {

namespace {

// The deleters run only on handles made through curl_api(), so libcurl is loaded by then.
struct EasyDeleter {
  void operator()(CURL* handle) const noexcept { curl_api().easy_cleanup(handle); }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;

struct MultiDeleter {
  void operator()(CURLM* handle) const noexcept { curl_api().multi_cleanup(handle); }
};
using MultiPtr = std::unique_ptr<CURLM, MultiDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const noexcept { curl_api().slist_free_all(list); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

void append(SlistPtr& list, const std::string& line) {
  curl_slist* grown = curl_api().slist_append(list.get(), line.c_str());
  if (!grown) throw Error(Error::Kind::kInternal, "out of memory building request headers");
  list.release();  // curl_slist_append returned the same list, now owned by `grown`
  list.reset(grown);
}

// CreateSession answers are a few kilobytes. An endpoint or a proxy that sends more is not
// answering CreateSession, and must not make the helper allocate without bound.
constexpr std::size_t kMaxResponseBody = 1024 * 1024;
constexpr const char* kMaxResponseBodyText = "1 MiB";

struct BodySink {
  std::string& body;
  bool too_large = false;
};

// A success body holds the secret key and session token: growing the string must not leave
// copies of what arrived so far in freed memory. Past the limit the transfer stops at once
// (a short count makes libcurl abort with CURLE_WRITE_ERROR), before anything is appended.
size_t collect_body(char* data, size_t size, size_t count, void* user) {
  auto& sink = *static_cast<BodySink*>(user);
  const size_t length = size * count;
  if (length > kMaxResponseBody - sink.body.size()) {
    sink.too_large = true;
    return 0;
  }
  append_wiping(sink.body, std::string_view(data, length));
  return length;
}

size_t collect_header(char* data, size_t size, size_t count, void* user) {
  auto& headers = *static_cast<std::vector<HttpHeader>*>(user);
  const std::string_view line(data, size * count);
  // A new status line starts a new response (after "100 Continue" or a proxy's CONNECT answer):
  // only the final response's headers are kept.
  if (line.starts_with("HTTP/")) {
    headers.clear();
  } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    headers.push_back({trim(line.substr(0, colon)), trim(line.substr(colon + 1))});
  }
  return size * count;
}

// "https://host:port" out of a URL, for messages: enough to say where, nothing of the query.
std::string origin_of(std::string_view url) {
  const auto scheme_end = url.find("://");
  const auto path_start =
      url.find_first_of("/?#", scheme_end == std::string_view::npos ? 0 : scheme_end + 3);
  return std::string(url.substr(0, path_start));
}

class CurlTransport final : public HttpTransport {
 public:
  // Loads and initialises libcurl at the first transport (or waits for preload_http_client's
  // load); throws its Error when libcurl cannot be loaded.
  explicit CurlTransport(const TransportOptions& options) : options_(options), curl_(curl_api()) {
    multi_.reset(curl_.multi_init());
    handle_.reset(curl_.easy_init());
    if (!multi_ || !handle_)
      throw Error(Error::Kind::kInternal, "could not create a libcurl handle");
  }

  HttpResponse send(const std::string& base_url, const HttpRequest& request) override {
    CURL* curl = handle_.get();
    // Reset clears every option from the previous request but keeps the connection cache.
    curl_.easy_reset(curl);

    std::string url = base_url + request.path;
    if (!request.query.empty()) url += "?" + request.query;

    SlistPtr headers;
    for (const auto& header : request.headers) {
      // "Name;" is curl's way to send a header with an empty value.
      append(headers, header.value.empty() ? header.name + ";" : header.name + ": " + header.value);
    }
    // Send what the request says and nothing else: no "Expect: 100-continue", no "Accept".
    append(headers, "Expect:");
    append(headers, "Accept:");

    HttpResponse response;
    char error_text[CURL_ERROR_SIZE] = {};
    set(CURLOPT_ERRORBUFFER, error_text);
    set(CURLOPT_URL, url.c_str());
    set(CURLOPT_HTTPHEADER, headers.get());
    set_method_and_body(request);

#if LIBCURL_VERSION_NUM >= 0x075500
    set(CURLOPT_PROTOCOLS_STR, "http,https");
#else
    set(CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    set(CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for DNS timeouts: we may run in threads
    set(CURLOPT_FOLLOWLOCATION, 0L);
    set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    set(CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
    // libcurl reads http_proxy/https_proxy/all_proxy by default; only --with-proxy allows that.
    if (!options_.use_proxy) set(CURLOPT_PROXY, "");
    set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
    if (options_.verify_tls) {
      set(CURLOPT_SSL_VERIFYPEER, 1L);
      set(CURLOPT_SSL_VERIFYHOST, 2L);
      if (options_.ca_bundle) set(CURLOPT_CAINFO, options_.ca_bundle->c_str());
    } else {
      set(CURLOPT_SSL_VERIFYPEER, 0L);
      set(CURLOPT_SSL_VERIFYHOST, 0L);
    }

    BodySink body{response.body};
    set(CURLOPT_WRITEFUNCTION, collect_body);
    set(CURLOPT_WRITEDATA, &body);
    // A Content-Length over the limit is refused before the body is read; a body without one
    // (chunked, or up to the connection's end) is stopped by collect_body.
    set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(kMaxResponseBody));
    set(CURLOPT_HEADERFUNCTION, collect_header);
    set(CURLOPT_HEADERDATA, &response.headers);

    const std::optional<CURLcode> result = perform();
    if (result != CURLE_OK) {
      // Part of a body may have arrived before the failure; it could hold credentials.
      if (!response.body.empty()) OPENSSL_cleanse(response.body.data(), response.body.size());
      if (!result)
        throw Error(Error::Kind::kCancelled, "stopped before " + origin_of(base_url) + " answered");
      // An unusable answer (kService), not kTransport: asking again at once would fetch the
      // same oversized answer; serve and update try again later, as after a malformed one.
      if (body.too_large || *result == CURLE_FILESIZE_EXCEEDED)
        throw Error(Error::Kind::kService,
                    "the answer from " + origin_of(base_url) + " was too large (over " +
                        kMaxResponseBodyText +
                        ", where a CreateSession answer is a few kilobytes): is that the IAM "
                        "Roles Anywhere endpoint?");
      const std::string reason = error_text[0] ? error_text : curl_.easy_strerror(*result);
      throw Error(Error::Kind::kTransport,
                  "could not reach " + origin_of(base_url) + ": " + reason);
    }
    curl_.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
  }

 private:
  // Runs the transfer prepared on the easy handle. Returns its result, or nullopt when the cancel
  // token was requested first (the transfer is then abandoned, its connection closed).
  std::optional<CURLcode> perform() {
    CURLM* multi = multi_.get();
    CURL* easy = handle_.get();
    check_multi(curl_.multi_add_handle(multi, easy));
    // Detached from the multi handle however this ends, so the next send can add it again.
    struct Detach {
      const CurlApi& curl;
      CURLM* multi;
      CURL* easy;
      ~Detach() { curl.multi_remove_handle(multi, easy); }
    } const detach{curl_, multi, easy};
    // curl_multi_wakeup is the one multi call that is safe from another thread: the stopping
    // thread uses it to end the poll below at once. The callback is unregistered (waiting for
    // a run in progress) before `multi` can go away.
    const std::stop_callback wake_on_stop(options_.cancel,
                                          [this, multi] { curl_.multi_wakeup(multi); });

    int running = 1;
    while (true) {
      if (options_.cancel.stop_requested()) return std::nullopt;
      check_multi(curl_.multi_perform(multi, &running));
      if (running == 0) break;
      // The timeout only bounds a lost wakeup; libcurl's own timers shorten it as they need.
      check_multi(curl_.multi_poll(multi, nullptr, 0, 1000, nullptr));
    }
    int queued = 0;
    while (const CURLMsg* message = curl_.multi_info_read(multi, &queued))
      if (message->msg == CURLMSG_DONE && message->easy_handle == easy) return message->data.result;
    throw Error(Error::Kind::kInternal, "libcurl finished a transfer without a result");
  }

  static void check_multi(CURLMcode code) {
    if (code != CURLM_OK)
      throw Error(Error::Kind::kInternal, std::string("libcurl multi interface failed: ") +
                                              curl_api().multi_strerror(code));
  }

  template <typename Value>
  void set(CURLoption option, Value value) {
    const CURLcode result = curl_.easy_setopt(handle_.get(), option, value);
    if (result != CURLE_OK)
      throw Error(Error::Kind::kInternal,
                  std::string("libcurl rejected an option: ") + curl_.easy_strerror(result));
  }

  void set_method_and_body(const HttpRequest& request) {
    if (request.method == "GET" && request.body.empty()) {
      set(CURLOPT_HTTPGET, 1L);
      return;
    }
    if (request.method == "HEAD") {
      set(CURLOPT_NOBODY, 1L);
      return;
    }
    // POSTFIELDS points at the request's own body (no copy); it outlives curl_easy_perform.
    set(CURLOPT_POST, 1L);
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    set(CURLOPT_POSTFIELDS, request.body.data());
    if (request.method != "POST") set(CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  TransportOptions options_;
  const CurlApi& curl_;
  MultiPtr multi_;  // holds the connection cache, so it outlives every transfer
  EasyPtr handle_;
};

}  // namespace

std::unique_ptr<HttpTransport> make_curl_transport(const TransportOptions& options) {
  return std::make_unique<CurlTransport>(options);
}

}  // namespace rolesanywhere
