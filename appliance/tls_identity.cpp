#include "appliance/tls_identity.hpp"

#include <errno.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>

#include <fstream>
#include <iterator>
#include <memory>

#include <mbedtls/bignum.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#include "appliance/sha256.hpp"
#include "appliance/tls_random.hpp"
#include "appliance/whole_file.hpp"

namespace rootstock::appliance {
namespace {

constexpr const char* kCertificateFile = "api-certificate.pem";
constexpr const char* kKeyFile = "api-key.pem";
constexpr size_t kSerialBytes = 16;  // RFC 5280 4.1.2.2: at most 20 octets, positive
constexpr size_t kDerMax = 4096;
constexpr size_t kPemMax = 8192;

std::string mbedtls_failure(const char* what, int code) {
  return std::string(what) + " failed (mbedTLS error -0x" +
         [](int c) {
           char text[16];
           std::snprintf(text, sizeof text, "%04x", static_cast<unsigned>(-c));
           return std::string(text);
         }(code) +
         ")";
}

// mbedTLS objects freed with their scope.
struct Pk {
  mbedtls_pk_context ctx;
  Pk() { mbedtls_pk_init(&ctx); }
  ~Pk() { mbedtls_pk_free(&ctx); }
};
struct Crt {
  mbedtls_x509_crt ctx;
  Crt() { mbedtls_x509_crt_init(&ctx); }
  ~Crt() { mbedtls_x509_crt_free(&ctx); }
};
struct CrtWriter {
  mbedtls_x509write_cert ctx;
  CrtWriter() { mbedtls_x509write_crt_init(&ctx); }
  ~CrtWriter() { mbedtls_x509write_crt_free(&ctx); }
};
struct Mpi {
  mbedtls_mpi ctx;
  Mpi() { mbedtls_mpi_init(&ctx); }
  ~Mpi() { mbedtls_mpi_free(&ctx); }
};

const unsigned char* bytes_of(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.c_str());
}

std::string fingerprint_of(const unsigned char* der, size_t size) {
  Sha256 sha;
  sha.update({reinterpret_cast<const char*>(der), size});
  return hex(sha.finish());
}

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

std::expected<TlsIdentity, std::string> make_tls_identity(const std::string& host_name) {
  Pk key;
  if (int r = mbedtls_pk_setup(&key.ctx, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)); r != 0) {
    return std::unexpected(mbedtls_failure("setting up the API's key", r));
  }
  if (int r = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(key.ctx), tls_random,
                                  nullptr);
      r != 0) {
    return std::unexpected(mbedtls_failure("making the API's key", r));
  }
  CrtWriter w;
  mbedtls_x509write_crt_set_version(&w.ctx, MBEDTLS_X509_CRT_VERSION_3);
  mbedtls_x509write_crt_set_md_alg(&w.ctx, MBEDTLS_MD_SHA256);
  mbedtls_x509write_crt_set_subject_key(&w.ctx, &key.ctx);
  mbedtls_x509write_crt_set_issuer_key(&w.ctx, &key.ctx);
  // A host name is letters, digits and '-' (is_valid_hostname): nothing to escape in a DN.
  const std::string name = "CN=" + host_name + ",O=Rootstock appliance";
  Mpi serial;
  unsigned char serial_bytes[kSerialBytes];
  if (tls_random(nullptr, serial_bytes, sizeof serial_bytes) != 0) {
    return std::unexpected(std::string("no random bytes for the certificate's serial number"));
  }
  serial_bytes[0] = static_cast<unsigned char>((serial_bytes[0] & 0x7f) | 0x40);  // positive
  int r = mbedtls_x509write_crt_set_subject_name(&w.ctx, name.c_str());
  if (r == 0) r = mbedtls_x509write_crt_set_issuer_name(&w.ctx, name.c_str());
  if (r == 0) r = mbedtls_mpi_read_binary(&serial.ctx, serial_bytes, sizeof serial_bytes);
  if (r == 0) r = mbedtls_x509write_crt_set_serial(&w.ctx, &serial.ctx);
  if (r == 0) r = mbedtls_x509write_crt_set_validity(&w.ctx, "20200101000000", "20491231235959");
  if (r == 0) r = mbedtls_x509write_crt_set_basic_constraints(&w.ctx, 0, -1);
  if (r == 0) {
    r = mbedtls_x509write_crt_set_key_usage(&w.ctx, MBEDTLS_X509_KU_DIGITAL_SIGNATURE);
  }
  if (r != 0) return std::unexpected(mbedtls_failure("describing the API's certificate", r));
  // The DER is written at the end of the buffer; the PEM is made of that very DER (a second
  // signature would differ: ECDSA signatures are randomized).
  auto der = std::make_unique<unsigned char[]>(kDerMax);
  const int der_size = mbedtls_x509write_crt_der(&w.ctx, der.get(), kDerMax, tls_random, nullptr);
  if (der_size < 0)
    return std::unexpected(mbedtls_failure("signing the API's certificate", der_size));
  const unsigned char* der_start = der.get() + kDerMax - static_cast<size_t>(der_size);
  auto pem = std::make_unique<unsigned char[]>(kPemMax);
  size_t pem_size = 0;
  if (int p = mbedtls_pem_write_buffer(
          "-----BEGIN CERTIFICATE-----\n", "-----END CERTIFICATE-----\n", der_start,
          static_cast<size_t>(der_size), pem.get(), kPemMax, &pem_size);
      p != 0) {
    return std::unexpected(mbedtls_failure("encoding the API's certificate", p));
  }
  auto key_pem = std::make_unique<unsigned char[]>(kPemMax);
  if (int k = mbedtls_pk_write_key_pem(&key.ctx, key_pem.get(), kPemMax); k != 0) {
    return std::unexpected(mbedtls_failure("encoding the API's key", k));
  }
  TlsIdentity id;
  // pem_size counts the terminating NUL.
  id.certificate_pem.assign(reinterpret_cast<const char*>(pem.get()), pem_size - 1);
  id.key_pem = reinterpret_cast<const char*>(key_pem.get());
  id.fingerprint = fingerprint_of(der_start, static_cast<size_t>(der_size));
  return id;
}

std::expected<std::string, std::string> check_tls_identity(const TlsIdentity& identity) {
  Crt crt;
  // PEM input is parsed with its terminating NUL counted.
  if (int r = mbedtls_x509_crt_parse(&crt.ctx, bytes_of(identity.certificate_pem),
                                     identity.certificate_pem.size() + 1);
      r != 0) {
    return std::unexpected(mbedtls_failure("reading the API's certificate", r));
  }
  Pk key;
  if (int r = mbedtls_pk_parse_key(&key.ctx, bytes_of(identity.key_pem),
                                   identity.key_pem.size() + 1, nullptr, 0);
      r != 0) {
    return std::unexpected(mbedtls_failure("reading the API's key", r));
  }
  if (int r = mbedtls_pk_check_pair(&crt.ctx.pk, &key.ctx); r != 0) {
    return std::unexpected(std::string("the API's key does not belong to its certificate"));
  }
  return fingerprint_of(crt.ctx.raw.p, crt.ctx.raw.len);
}

std::expected<TlsIdentity, std::string> load_or_make_tls_identity(const std::string& dir,
                                                                  const std::string& host_name) {
  const std::string cert_path = dir + "/" + kCertificateFile;
  const std::string key_path = dir + "/" + kKeyFile;
  auto cert = read_text(cert_path);
  auto key = read_text(key_path);
  if (cert && key) {
    TlsIdentity kept{*cert, *key, {}};
    if (auto fingerprint = check_tls_identity(kept)) {
      kept.fingerprint = *fingerprint;
      return kept;
    }
    // A broken pair (a cut write, an edit) is replaced: the clients that pinned it learn of
    // the new fingerprint from the milestone.
  }
  auto made = make_tls_identity(host_name);
  if (!made) return made;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return std::unexpected("cannot make " + dir + ": " + std::strerror(errno));
  }
  // The key first: a certificate on the disk never names a key that is not.
  if (auto w = write_whole_file(key_path, made->key_pem, 0600, Existing::kReplace, true); !w) {
    return std::unexpected(w.error());
  }
  if (auto w = write_whole_file(cert_path, made->certificate_pem, 0644, Existing::kReplace, true);
      !w) {
    return std::unexpected(w.error());
  }
  if (auto s = sync_folder(dir); !s) return std::unexpected(s.error());
  return made;
}

}  // namespace rootstock::appliance
