// Edge cases of the SigV4 canonicalisation steps, one function at a time.
#include "rolesanywhere/sigv4x509.hpp"

#include <doctest/doctest.h>

#include <chrono>

namespace sv = rolesanywhere::sigv4x509;
using rolesanywhere::HttpHeader;
using rolesanywhere::HttpRequest;
using rolesanywhere::TimePoint;

namespace {
TimePoint at(std::int64_t unix_seconds) { return TimePoint(std::chrono::seconds(unix_seconds)); }
}  // namespace

TEST_CASE("sigv4x509 canonical_uri: encoding") {
  CHECK(sv::canonical_uri("", true) == "/");
  CHECK(sv::canonical_uri("", false) == "/");
  CHECK(sv::canonical_uri("/", true) == "/");
  CHECK(sv::canonical_uri("/sessions", true) == "/sessions");
  CHECK(sv::canonical_uri("/a b", true) == "/a%20b");
  CHECK(sv::canonical_uri("/-._~AZaz09", true) == "/-._~AZaz09");
  // Every reserved character but '/' is encoded, with upper-case hex.
  CHECK(sv::canonical_uri("/:@!$&'()*+,;=", true) == "/%3A%40%21%24%26%27%28%29%2A%2B%2C%3B%3D");
  CHECK(sv::canonical_uri("/\xE1\x88\xB4", true) == "/%E1%88%B4");
  // The path is taken as sent, so an escape is escaped again: SigV4's double encoding for
  // every service but S3.
  CHECK(sv::canonical_uri("/a%2Fb", true) == "/a%252Fb");
  CHECK(sv::canonical_uri("/a%20b", false) == "/a%2520b");
}

TEST_CASE("sigv4x509 uri_encode keeps only unreserved characters and '/' when asked") {
  CHECK(sv::uri_encode("", true).empty());
  CHECK(sv::uri_encode("-._~AZaz09", true) == "-._~AZaz09");
  CHECK(sv::uri_encode("arn:aws:iam::1:role/a b+c", true) ==
        "arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fa%20b%2Bc");
  CHECK(sv::uri_encode("arn:aws:iam::1:role/a b+c", false) ==
        "arn%3Aaws%3Aiam%3A%3A1%3Arole/a%20b%2Bc");
  CHECK(sv::uri_encode(std::string("%\0\xff", 3), true) == "%25%00%FF");
}

TEST_CASE("sigv4x509 canonical_uri: normalisation") {
  CHECK(sv::canonical_uri("/a/./b/../c", true) == "/a/c");
  CHECK(sv::canonical_uri("/../..", true) == "/");
  CHECK(sv::canonical_uri("//a//b//", true) == "/a/b/");
  CHECK(sv::canonical_uri("/a/b/..", true) == "/a");
  CHECK(sv::canonical_uri("/a/b/../", true) == "/a/");
  CHECK(sv::canonical_uri("/./", true) == "/");
  CHECK(sv::canonical_uri("/a/...", true) == "/a/...");  // "..." is a name, not a dot segment
  CHECK(sv::canonical_uri("/a/.b", true) == "/a/.b");
  // Without normalisation every slash and dot stays.
  CHECK(sv::canonical_uri("/./a/../b", false) == "/./a/../b");
  CHECK(sv::canonical_uri("//a//", false) == "//a//");
}

TEST_CASE("sigv4x509 canonical_query: sorting") {
  CHECK(sv::canonical_query("") == "");
  CHECK(sv::canonical_query("b=2&a=3&a=1") == "a=1&a=3&b=2");
  // Byte order of the encoded names: upper case sorts before lower case, '%' before letters.
  CHECK(sv::canonical_query("a=1&B=2") == "B=2&a=1");
  CHECK(sv::canonical_query("Param-3=3&Param=2&%E1%88%B4=1") == "%E1%88%B4=1&Param=2&Param-3=3");
  // Sorted after encoding: '~' (kept) sorts after 'z', but a space (%20) before letters.
  CHECK(sv::canonical_query("a~=1&az=2&a%20=3") == "a%20=3&az=2&a~=1");
}

TEST_CASE("sigv4x509 canonical_query: decoding and re-encoding") {
  CHECK(sv::canonical_query("a") == "a=");  // the '=' stays even without a value
  CHECK(sv::canonical_query("a=") == "a=");
  CHECK(sv::canonical_query("a=b=c") == "a=b%3Dc");
  CHECK(sv::canonical_query("&&a=1&") == "a=1");
  CHECK(sv::canonical_query("k=%7e&j=~&i=%7E") == "i=~&j=~&k=~");
  CHECK(sv::canonical_query("k=%2f") == "k=%2F");
  CHECK(sv::canonical_query("k=a b") == "k=a%20b");
  CHECK(sv::canonical_query("k=a+b") == "k=a%2Bb");  // '+' is a plus (RFC 3986), not a space
  CHECK(sv::canonical_query("k=%zz") == "k=%25zz");  // a stray '%' is a literal percent
  CHECK(sv::canonical_query("k=%4") == "k=%254");
  CHECK(sv::canonical_query("arn=arn:aws:iam::1:role/r") ==
        "arn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr");
  CHECK(sv::canonical_query("arn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr") ==
        "arn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr");
}

TEST_CASE("sigv4x509 canonical_headers: names and trimming and folding and duplicates") {
  const std::vector<HttpHeader> headers = {
      {"Host", "example.com"}, {"X-B", "  padded\t value  "},
      {"x-a", "a   b\t\tc"},   {"X-Dup", "second"},
      {"X-Empty", ""},         {"X-Blank", "  \t "},
      {"x-dup", " first "},    {"X-Folded", "line1\r\n   line2"},
  };
  const auto all = sv::canonical_headers(headers);
  CHECK(all.block ==
        "host:example.com\n"
        "x-a:a b c\n"
        "x-b:padded value\n"
        "x-blank:\n"
        "x-dup:second,first\n"  // joined in request order, not sorted
        "x-empty:\n"
        "x-folded:line1 line2\n");
  CHECK(all.signed_headers == "host;x-a;x-b;x-blank;x-dup;x-empty;x-folded");

  // Only the headers asked for, matched case-insensitively; names not present are ignored.
  const auto some = sv::canonical_headers(headers, {"HOST", "x-dup", "x-missing"});
  CHECK(some.block == "host:example.com\nx-dup:second,first\n");
  CHECK(some.signed_headers == "host;x-dup");

  CHECK(sv::canonical_headers({}).block.empty());
  CHECK(sv::canonical_headers({}).signed_headers.empty());
}

TEST_CASE("sigv4x509 canonical_request: layout") {
  HttpRequest request;
  request.method = "POST";
  request.path = "/sessions";
  request.query = "b=2&a=1";
  request.headers = {{"Host", "h"}, {"X-Amz-Date", "20240101T000000Z"}};
  request.body = "abc";
  CHECK(sv::canonical_request(request) ==
        "POST\n/sessions\na=1&b=2\nhost:h\nx-amz-date:20240101T000000Z\n\nhost;x-amz-date\n"
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

  sv::CanonicalOptions only_host;
  only_host.names_to_sign = {"host"};
  only_host.normalize_path = false;
  request.path = "/a/../sessions";
  CHECK(sv::canonical_request(request, only_host) ==
        "POST\n/a/../sessions\na=1&b=2\nhost:h\n\nhost\n"
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("sigv4x509 hex and SHA-256") {
  CHECK(sv::hex_encode({}) == "");
  CHECK(sv::hex_encode({0x00, 0x0f, 0xa0, 0xff}) == "000fa0ff");
  CHECK(sv::hex_sha256("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sv::hex_sha256("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sv::hex_sha256(std::string_view("a\0b", 3)) != sv::hex_sha256("a"));  // bytes, not C text
}

TEST_CASE("sigv4x509 amz_date and scope_date") {
  CHECK(sv::amz_date(at(0)) == "19700101T000000Z");
  CHECK(sv::amz_date(at(1440938160)) == "20150830T123600Z");
  CHECK(sv::scope_date(at(1440938160)) == "20150830");
  CHECK(sv::amz_date(at(1709251199)) == "20240229T235959Z");  // leap day, last second
  CHECK(sv::amz_date(at(1709251200)) == "20240301T000000Z");
  // Fractions of a second are dropped, never rounded up into the next second.
  CHECK(sv::amz_date(at(1440938160) + std::chrono::milliseconds(999)) == "20150830T123600Z");
  CHECK(sv::amz_date(at(-1)) == "19691231T235959Z");
  CHECK(sv::amz_date(at(-1) + std::chrono::milliseconds(500)) == "19691231T235959Z");
  CHECK(sv::amz_date(at(4102444800)) == "21000101T000000Z");
}

TEST_CASE("sigv4x509 credential scope and string to sign") {
  CHECK(sv::credential_scope("20240517", "eu-west-1") ==
        "20240517/eu-west-1/rolesanywhere/aws4_request");
  CHECK(sv::credential_scope("20150830", "us-east-1", "service") ==
        "20150830/us-east-1/service/aws4_request");
  CHECK(sv::string_to_sign(sv::Algorithm::kRsaSha256, "20240517T093015Z",
                           "20240517/eu-west-1/rolesanywhere/aws4_request", "abc") ==
        "AWS4-X509-RSA-SHA256\n20240517T093015Z\n20240517/eu-west-1/rolesanywhere/aws4_request\n"
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const auto ecdsa =
      sv::string_to_sign(sv::Algorithm::kEcdsaSha256, "20240517T093015Z", "s", "abc");
  CHECK(ecdsa.starts_with("AWS4-X509-ECDSA-SHA256\n"));
  // Any change in the canonical request changes the string to sign.
  CHECK(sv::string_to_sign(sv::Algorithm::kEcdsaSha256, "20240517T093015Z", "s", "abd") != ecdsa);
}

TEST_CASE("sigv4x509 algorithm names") {
  CHECK(sv::algorithm_name(sv::Algorithm::kRsaSha256) == "AWS4-X509-RSA-SHA256");
  CHECK(sv::algorithm_name(sv::Algorithm::kEcdsaSha256) == "AWS4-X509-ECDSA-SHA256");
  CHECK(sv::parse_algorithm("AWS4-X509-RSA-SHA256") == sv::Algorithm::kRsaSha256);
  CHECK(sv::parse_algorithm("AWS4-X509-ECDSA-SHA256") == sv::Algorithm::kEcdsaSha256);
  CHECK_FALSE(sv::parse_algorithm("AWS4-HMAC-SHA256").has_value());
  CHECK_FALSE(sv::parse_algorithm("aws4-x509-rsa-sha256").has_value());
  CHECK_FALSE(sv::parse_algorithm("AWS4-X509-RSA-SHA256 ").has_value());
  CHECK_FALSE(sv::parse_algorithm("").has_value());
}
