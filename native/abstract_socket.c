/*
 * Linux abstract-namespace Unix sockets with an exact address length.
 *
 * Node 20's libuv binds and connects "\0name" with the whole 108-byte sun_path as the address
 * (nodejs/node#50889), so the name it uses is "name" followed by ~100 NULs and no C, Python or
 * socat client using the conventional length can reach it. These two calls build the sockaddr with
 * addrlen = offsetof(sun_path) + 1 + strlen(name) and hand the descriptor to Node, which wraps it
 * with net.Server.listen({ fd }) or new net.Socket({ fd }).
 *
 * peerCredentials(fd) reads SO_PEERCRED, which Node has no API for: the pid, uid and gid of the process
 * at the other end of a connected Unix socket (path or abstract) as the kernel recorded them at
 * connect()/listen() time, so neither side can lie about them. Clients use it to check who runs the
 * hub before they send HELLO; the hub records it for each accepted connection.
 *
 * peerName(fd) is getpeername(): the address the process at the other end bound its own socket to
 * before connecting, which Node does not expose for Unix sockets. The classic select() relay took a
 * client's one-byte module ID from it (electron/hub/plain/): { kind: 'path' | 'abstract', name }
 * with the raw bytes, or null when the peer bound nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <node_api.h>

static napi_value throw_errno(napi_env env, const char *syscall, int err) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", syscall, strerror(err));
  napi_value code, msg, error, errno_value, syscall_value;
  const char *name = err == EADDRINUSE ? "EADDRINUSE" : err == ECONNREFUSED ? "ECONNREFUSED" : err == ENOENT ? "ENOENT" : err == EACCES ? "EACCES" : err == EAGAIN ? "EAGAIN" : "ESYSCALL";
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, -err, &errno_value);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value);
  napi_set_named_property(env, error, "code", code);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_set_named_property(env, error, "syscall", syscall_value);
  napi_throw(env, error);
  return NULL;
}

/* Reads the name argument into addr; returns the address length or 0 after throwing. */
static socklen_t read_address(napi_env env, napi_callback_info info, struct sockaddr_un *addr, int *backlog) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char name[sizeof addr->sun_path];
  size_t length = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "abstract socket name must be a string");
    return 0;
  }
  if (length == 0 || length > sizeof addr->sun_path - 2) {
    napi_throw_range_error(env, NULL, "abstract socket name must be 1 to 106 bytes");
    return 0;
  }
  if (backlog != NULL && argc > 1) napi_get_value_int32(env, argv[1], backlog);
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  memcpy(addr->sun_path + 1, name, length);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + length);
}

static napi_value listen_abstract(napi_env env, napi_callback_info info) {
  struct sockaddr_un addr;
  int backlog = 511;
  socklen_t length = read_address(env, info, &addr, &backlog);
  if (length == 0) return NULL;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  if (bind(fd, (struct sockaddr *)&addr, length) != 0 || listen(fd, backlog) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

static napi_value connect_abstract(napi_env env, napi_callback_info info) {
  struct sockaddr_un addr;
  socklen_t length = read_address(env, info, &addr, NULL);
  if (length == 0) return NULL;
  /* Blocking connect: on AF_UNIX it completes at once or fails (ECONNREFUSED, or EAGAIN on a full backlog). */
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int rc;
  do {
    rc = connect(fd, (struct sockaddr *)&addr, length);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "connect", err);
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

/* The one argument of peerCredentials and peerName: a descriptor; -1 (a TypeError thrown) when it is not. */
static int32_t descriptor_argument(napi_env env, napi_callback_info info, const char *message) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, message);
    return -1;
  }
  return fd;
}

static napi_value peer_credentials(napi_env env, napi_callback_info info) {
  int32_t fd = descriptor_argument(env, info, "peerCredentials needs a socket descriptor");
  if (fd < 0) return NULL;
  struct ucred cred;
  socklen_t length = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) return throw_errno(env, "getsockopt", errno);
  napi_value result, pid, uid, gid;
  napi_create_object(env, &result);
  napi_create_int64(env, cred.pid, &pid);
  napi_create_uint32(env, cred.uid, &uid);
  napi_create_uint32(env, cred.gid, &gid);
  napi_set_named_property(env, result, "pid", pid);
  napi_set_named_property(env, result, "uid", uid);
  napi_set_named_property(env, result, "gid", gid);
  return result;
}

static napi_value peer_name(napi_env env, napi_callback_info info) {
  int32_t fd = descriptor_argument(env, info, "peerName needs a socket descriptor");
  if (fd < 0) return NULL;
  struct sockaddr_un addr;
  socklen_t length = sizeof addr;
  memset(&addr, 0, sizeof addr);
  if (getpeername(fd, (struct sockaddr *)&addr, &length) != 0) return throw_errno(env, "getpeername", errno);
  napi_value result;
  size_t offset = offsetof(struct sockaddr_un, sun_path);
  /* An unbound peer has an address of just the family (autobind aside, which gives an abstract name). */
  if (addr.sun_family != AF_UNIX || length <= offset) {
    napi_get_null(env, &result);
    return result;
  }
  size_t path_length = length - offset;
  if (path_length > sizeof addr.sun_path) path_length = sizeof addr.sun_path;
  int abstract = addr.sun_path[0] == '\0';
  const char *bytes = addr.sun_path + (abstract ? 1 : 0);
  size_t count = abstract ? path_length - 1 : strnlen(addr.sun_path, path_length);
  napi_value kind, name;
  void *copy;
  napi_create_object(env, &result);
  napi_create_string_utf8(env, abstract ? "abstract" : "path", NAPI_AUTO_LENGTH, &kind);
  napi_create_buffer_copy(env, count, bytes, &copy, &name);
  napi_set_named_property(env, result, "kind", kind);
  napi_set_named_property(env, result, "name", name);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"listenAbstract", NULL, listen_abstract, NULL, NULL, NULL, napi_default, NULL},
      {"connectAbstract", NULL, connect_abstract, NULL, NULL, NULL, napi_default, NULL},
      {"peerCredentials", NULL, peer_credentials, NULL, NULL, NULL, napi_default, NULL},
      {"peerName", NULL, peer_name, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
