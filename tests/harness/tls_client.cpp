#include "tls_client.hpp"

#include <errno.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <cstdio>

#include <mbedtls/net_sockets.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

namespace rootstock::harness {

struct TlsClient::State {
  int fd;
  mbedtls_ssl_config config;
  mbedtls_ssl_context ssl;
  explicit State(int f) : fd(f) {
    mbedtls_ssl_config_init(&config);
    mbedtls_ssl_init(&ssl);
  }
  ~State() {
    mbedtls_ssl_free(&ssl);
    mbedtls_ssl_config_free(&config);
  }
};

namespace {

int random_bytes(void*, unsigned char* out, size_t size) {
  while (size > 0) {
    const ssize_t n = ::getrandom(out, size, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
    }
    out += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

int send_bytes(void* context, const unsigned char* bytes, size_t size) {
  const ssize_t n = ::send(*static_cast<int*>(context), bytes, size, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n >= 0) return static_cast<int>(n);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_WRITE;
  return MBEDTLS_ERR_NET_SEND_FAILED;
}

int receive_bytes(void* context, unsigned char* buffer, size_t size) {
  const ssize_t n = ::recv(*static_cast<int*>(context), buffer, size, 0);
  if (n >= 0) return static_cast<int>(n);
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_READ;
  return MBEDTLS_ERR_NET_RECV_FAILED;
}

// Waits for what mbedTLS asked for by `deadline`; false when it passed.
bool wait_for_tls(int fd, int want, TlsClient::Deadline deadline) {
  return wait_for(fd, want == MBEDTLS_ERR_SSL_WANT_WRITE ? POLLOUT : POLLIN, deadline);
}

bool retry(int r) {
  return r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE;
}

}  // namespace

bool wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[32];
  mbedtls_sha256_ret(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest, 0);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

TlsClient::TlsClient(std::unique_ptr<State> state) : state_(std::move(state)) {}
TlsClient::~TlsClient() = default;

std::unique_ptr<TlsClient> TlsClient::connect(int fd, const std::string& pinned_sha256,
                                              Deadline deadline, std::string& error) {
  auto s = std::make_unique<State>(fd);
  int r = mbedtls_ssl_config_defaults(&s->config, MBEDTLS_SSL_IS_CLIENT,
                                      MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
  if (r != 0) {
    error = "TLS configuration failed";
    return nullptr;
  }
  // No chain to check: the certificate is self-signed and pinned below, after the handshake.
  mbedtls_ssl_conf_authmode(&s->config, MBEDTLS_SSL_VERIFY_NONE);
  mbedtls_ssl_conf_rng(&s->config, random_bytes, nullptr);
  if (mbedtls_ssl_setup(&s->ssl, &s->config) != 0) {
    error = "TLS set-up failed";
    return nullptr;
  }
  mbedtls_ssl_set_bio(&s->ssl, &s->fd, send_bytes, receive_bytes, nullptr);
  while ((r = mbedtls_ssl_handshake(&s->ssl)) != 0) {
    if (!retry(r) || !wait_for_tls(fd, r, deadline)) {
      char text[96];
      std::snprintf(text, sizeof text, "the TLS handshake failed (mbedTLS error -0x%04x)",
                    static_cast<unsigned>(-r));
      error = retry(r) ? "the TLS handshake did not finish in time" : text;
      return nullptr;
    }
  }
  const mbedtls_x509_crt* peer = mbedtls_ssl_get_peer_cert(&s->ssl);
  if (!peer) {
    error = "the server sent no certificate";
    return nullptr;
  }
  std::unique_ptr<TlsClient> client(new TlsClient(std::move(s)));
  client->fingerprint_ = sha256_hex({reinterpret_cast<const char*>(peer->raw.p), peer->raw.len});
  if (!pinned_sha256.empty() && client->fingerprint_ != pinned_sha256) {
    error = "the server's certificate has the SHA-256 " + client->fingerprint_ + ", not " +
            pinned_sha256 + " as pinned";
    return nullptr;
  }
  return client;
}

bool TlsClient::write_all(std::string_view bytes, Deadline deadline) {
  while (!bytes.empty()) {
    const int r = mbedtls_ssl_write(
        &state_->ssl, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    if (r > 0) {
      bytes.remove_prefix(static_cast<size_t>(r));
    } else if (!retry(r) || !wait_for_tls(state_->fd, r, deadline)) {
      return false;
    }
  }
  return true;
}

ssize_t TlsClient::read(char* buffer, size_t size, Deadline deadline) {
  while (true) {
    const int r = mbedtls_ssl_read(&state_->ssl, reinterpret_cast<unsigned char*>(buffer), size);
    if (r > 0) return r;
    if (r == 0 || r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) return 0;
    if (!retry(r) || !wait_for_tls(state_->fd, r, deadline)) return -1;
  }
}

}  // namespace rootstock::harness
