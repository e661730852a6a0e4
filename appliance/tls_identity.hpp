// The management API's TLS identity: an EC P-256 key and a self-signed certificate for the
// appliance's host name, made at the first start and kept on the data partition, so clients
// can pin it by the certificate's SHA-256 fingerprint, which the api-ready milestone prints.
// mbedTLS does the key generation, signing and encoding (X.509: RFC 5280; PEM: RFC 7468).
#pragma once

#include <expected>
#include <string>

namespace rootstock::appliance {

struct TlsIdentity {
  std::string certificate_pem;
  std::string key_pem;
  /// SHA-256 of the certificate's DER encoding, 64 lower-case hex digits.
  std::string fingerprint;
};

/// A new key and certificate (subject and issuer CN=`host_name`, O=Rootstock appliance; valid
/// from 2020 to 2049, as the appliance's clock may be anywhere in between).
[[nodiscard]] std::expected<TlsIdentity, std::string> make_tls_identity(
    const std::string& host_name);

/// `dir`/api-certificate.pem and `dir`/api-key.pem when both are there and parse, else a new
/// identity written there (the key readable by root only, both flushed before they are named).
[[nodiscard]] std::expected<TlsIdentity, std::string> load_or_make_tls_identity(
    const std::string& dir, const std::string& host_name);

/// Parses `identity`'s certificate and returns its fingerprint; the reason when it does not
/// parse or its key does not match it.
[[nodiscard]] std::expected<std::string, std::string> check_tls_identity(
    const TlsIdentity& identity);

}  // namespace rootstock::appliance
