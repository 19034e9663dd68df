{
  "targets": [
    {
      "target_name": "abstract_socket",
      "sources": ["native/abstract_socket.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"]
    }
  ]
}
