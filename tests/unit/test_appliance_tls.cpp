// appliance/tls_identity and tls_server: the API's key and certificate made, kept, read back
// and replaced when broken; HTTPS over loopback with the harness's client pinning the
// certificate's fingerprint, as a user's client and the boot tests do.
#include <catch2/catch_test_macros.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "api_call.hpp"
#include "appliance/api_server.hpp"
#include "appliance/tls_identity.hpp"
#include "appliance/tls_server.hpp"
#include "temp_dir.hpp"

using namespace rootstock::appliance;
using rootstock::harness::ApiCall;
using rootstock::harness::ApiReply;
using rootstock::harness::ApiTarget;
using rootstock::testing::TempDir;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

ApiResponse hello(const ApiRequest& r) {
  return json_answer(200, "{\"path\":\"" + r.path + "\"}");
}

std::optional<std::string> call(uint16_t port, bool tls, const std::string& pin, ApiReply& reply) {
  ApiTarget t{port, "", tls, pin};
  ApiCall c = *rootstock::harness::parse_api_call("GET /secure -> 200");
  return rootstock::harness::send_api_call(t, c, std::chrono::steady_clock::now() + 10s, reply);
}

}  // namespace

TEST_CASE("tls identity: made, checked, fingerprinted", "[appliance][tls]") {
  auto id = make_tls_identity("edge-7");
  REQUIRE(id);
  CHECK(id->certificate_pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
  CHECK(id->key_pem.find("PRIVATE KEY-----") != std::string::npos);
  CHECK(id->fingerprint.size() == 64);
  auto checked = check_tls_identity(*id);
  REQUIRE(checked);
  CHECK(*checked == id->fingerprint);
  // Another key with this certificate is refused.
  auto other = make_tls_identity("edge-7");
  REQUIRE(other);
  CHECK(other->fingerprint != id->fingerprint);
  TlsIdentity mixed{id->certificate_pem, other->key_pem, {}};
  CHECK_FALSE(check_tls_identity(mixed));
}

TEST_CASE("tls identity: kept across starts, replaced when broken", "[appliance][tls]") {
  TempDir dir("rootstock-tls");
  const std::string folder = dir.path() + "/api";
  auto first = load_or_make_tls_identity(folder, "appliance");
  REQUIRE(first);
  CHECK((fs::status(folder + "/api-key.pem").permissions() & fs::perms::others_read) ==
        fs::perms::none);
  auto again = load_or_make_tls_identity(folder, "appliance");
  REQUIRE(again);
  CHECK(again->fingerprint == first->fingerprint);
  // A cut write left half a certificate: a new identity.
  std::ofstream(folder + "/api-certificate.pem") << "-----BEGIN CERTIFICATE-----\nMIIB";
  auto replaced = load_or_make_tls_identity(folder, "appliance");
  REQUIRE(replaced);
  CHECK(replaced->fingerprint != first->fingerprint);
  CHECK(load_or_make_tls_identity(folder, "appliance")->fingerprint == replaced->fingerprint);
}

TEST_CASE("tls server: HTTPS over loopback, pinned by fingerprint", "[appliance][tls]") {
  auto id = make_tls_identity("appliance");
  REQUIRE(id);
  auto tls = TlsServer::create(*id);
  REQUIRE(tls);
  ApiServerOptions o;
  o.port = 0;
  o.wrap = [server = tls->get()](int fd) { return server->wrap(fd); };
  auto server = ApiServer::start(o, hello);
  REQUIRE(server);
  const uint16_t port = (*server)->port();

  ApiReply reply;
  REQUIRE_FALSE(call(port, true, id->fingerprint, reply));
  CHECK(reply.status == 200);
  CHECK(reply.body == "{\"path\":\"/secure\"}");
  // Another certificate than the pinned one: refused by the client.
  auto wrong = call(port, true, std::string(64, 'a'), reply);
  REQUIRE(wrong);
  CHECK(wrong->find("not " + std::string(64, 'a')) != std::string::npos);
  // Plain HTTP to an HTTPS port gets no answer, and the server goes on.
  ApiReply plain;
  auto refused = call(port, false, "", plain);
  CHECK((refused || plain.status != 200));
  REQUIRE_FALSE(call(port, true, id->fingerprint, reply));
  CHECK(reply.status == 200);
}

TEST_CASE("tls server: a certificate or key that does not parse is refused", "[appliance][tls]") {
  auto id = make_tls_identity("appliance");
  REQUIRE(id);
  TlsIdentity bad = *id;
  bad.key_pem = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
  CHECK_FALSE(TlsServer::create(bad));
  bad = *id;
  bad.certificate_pem = "not a certificate";
  CHECK_FALSE(TlsServer::create(bad));
}
