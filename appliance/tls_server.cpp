#include "appliance/tls_server.hpp"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdio>

#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "appliance/tls_random.hpp"

namespace rootstock::appliance {

struct TlsServer::State {
  mbedtls_ssl_config config;
  mbedtls_x509_crt certificate;
  mbedtls_pk_context key;
  State() {
    mbedtls_ssl_config_init(&config);
    mbedtls_x509_crt_init(&certificate);
    mbedtls_pk_init(&key);
  }
  ~State() {
    mbedtls_ssl_config_free(&config);
    mbedtls_x509_crt_free(&certificate);
    mbedtls_pk_free(&key);
  }
};

namespace {

// The socket under mbedTLS (mbedtls_ssl_set_bio): its "would block" as mbedTLS's.
int send_bytes(void* context, const unsigned char* bytes, size_t size) {
  const int fd = *static_cast<int*>(context);
  while (true) {
    const ssize_t n = ::send(fd, bytes, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return MBEDTLS_ERR_SSL_WANT_WRITE;
    return MBEDTLS_ERR_NET_SEND_FAILED;
  }
}

int receive_bytes(void* context, unsigned char* buffer, size_t size) {
  const int fd = *static_cast<int*>(context);
  while (true) {
    const ssize_t n = ::recv(fd, buffer, size, 0);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return MBEDTLS_ERR_SSL_WANT_READ;
    return MBEDTLS_ERR_NET_RECV_FAILED;
  }
}

class TlsStream final : public ConnectionStream {
 public:
  explicit TlsStream(int fd) : fd_(fd) { mbedtls_ssl_init(&ssl_); }
  ~TlsStream() override {
    if (established_) (void)mbedtls_ssl_close_notify(&ssl_);  // best effort, never waited on
    mbedtls_ssl_free(&ssl_);
  }
  bool setup(const mbedtls_ssl_config& config) {
    if (mbedtls_ssl_setup(&ssl_, &config) != 0) return false;
    mbedtls_ssl_set_bio(&ssl_, &fd_, send_bytes, receive_bytes, nullptr);
    return true;
  }
  [[nodiscard]] int fd() const override { return fd_; }
  [[nodiscard]] ssize_t handshake() override {
    const int r = mbedtls_ssl_handshake(&ssl_);
    if (r == 0) {
      established_ = true;
      return 1;
    }
    return would_block(r) ? kWouldBlock : -1;
  }
  [[nodiscard]] ssize_t read(char* buffer, size_t size) override {
    const int r = mbedtls_ssl_read(&ssl_, reinterpret_cast<unsigned char*>(buffer), size);
    if (r > 0) return r;
    if (r == 0 || r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) return 0;
    return would_block(r) ? kWouldBlock : -1;
  }
  [[nodiscard]] ssize_t write(const char* bytes, size_t size) override {
    const int r = mbedtls_ssl_write(&ssl_, reinterpret_cast<const unsigned char*>(bytes), size);
    if (r >= 0) return r;
    return would_block(r) ? kWouldBlock : -1;
  }
  [[nodiscard]] short wants() const override { return wants_; }
  [[nodiscard]] bool buffered() const override { return mbedtls_ssl_get_bytes_avail(&ssl_) > 0; }

 private:
  // TLS may need to write in order to read (a renegotiation, an alert) and the other way round.
  bool would_block(int r) {
    if (r == MBEDTLS_ERR_SSL_WANT_READ) {
      wants_ = POLLIN;
      return true;
    }
    if (r == MBEDTLS_ERR_SSL_WANT_WRITE) {
      wants_ = POLLOUT;
      return true;
    }
    return false;
  }

  int fd_;
  mbedtls_ssl_context ssl_;
  short wants_ = POLLIN;
  bool established_ = false;
};

std::string failure(const char* what, int code) {
  char text[80];
  std::snprintf(text, sizeof text, "%s failed (mbedTLS error -0x%04x)", what,
                static_cast<unsigned>(-code));
  return text;
}

}  // namespace

TlsServer::TlsServer(std::unique_ptr<State> state) : state_(std::move(state)) {}
TlsServer::~TlsServer() = default;

std::expected<std::unique_ptr<TlsServer>, std::string> TlsServer::create(
    const TlsIdentity& identity) {
  auto s = std::make_unique<State>();
  const auto* cert = reinterpret_cast<const unsigned char*>(identity.certificate_pem.c_str());
  if (int r = mbedtls_x509_crt_parse(&s->certificate, cert, identity.certificate_pem.size() + 1);
      r != 0) {
    return std::unexpected(failure("reading the API's certificate", r));
  }
  const auto* key = reinterpret_cast<const unsigned char*>(identity.key_pem.c_str());
  if (int r = mbedtls_pk_parse_key(&s->key, key, identity.key_pem.size() + 1, nullptr, 0); r != 0) {
    return std::unexpected(failure("reading the API's key", r));
  }
  int r = mbedtls_ssl_config_defaults(&s->config, MBEDTLS_SSL_IS_SERVER,
                                      MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
  if (r != 0) return std::unexpected(failure("configuring TLS", r));
  mbedtls_ssl_conf_rng(&s->config, tls_random, nullptr);
  // TLS 1.2 at least (RFC 8996 deprecates 1.0 and 1.1).
  mbedtls_ssl_conf_min_version(&s->config, MBEDTLS_SSL_MAJOR_VERSION_3,
                               MBEDTLS_SSL_MINOR_VERSION_3);
  if (r = mbedtls_ssl_conf_own_cert(&s->config, &s->certificate, &s->key); r != 0) {
    return std::unexpected(failure("configuring TLS's certificate", r));
  }
  // One signature now, on this thread: mbedTLS caches the curve's precomputed points in the
  // key's group on first use (MBEDTLS_ECP_FIXED_POINT_OPTIM), which connections signing at once
  // would race to write; afterwards they only read it.
  unsigned char hash[32] = {};
  unsigned char signature[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
  size_t signature_size = 0;
  if (r = mbedtls_pk_sign(&s->key, MBEDTLS_MD_SHA256, hash, sizeof hash, signature, &signature_size,
                          tls_random, nullptr);
      r != 0) {
    return std::unexpected(failure("signing with the API's key", r));
  }
  return std::unique_ptr<TlsServer>(new TlsServer(std::move(s)));
}

std::unique_ptr<ConnectionStream> TlsServer::wrap(int fd) const {
  auto stream = std::make_unique<TlsStream>(fd);
  if (!stream->setup(state_->config)) return nullptr;
  return stream;
}

}  // namespace rootstock::appliance
