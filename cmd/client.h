/*
 * client.h - qcw-net's command-line client: "qcw-net expose|unexpose|list|
 * leases|stats|dns add ..." talk to a running daemon's control API (the
 * -listen or -services endpoint) over a unix or TCP socket.
 */
#ifndef QCW_CLIENT_H
#define QCW_CLIENT_H

#include <stddef.h>

/*
 * client_main() - run one subcommand.
 * @argc, @argv: argv[0] is the subcommand word ("expose", ...)
 *
 * Return: the process exit status: 0 on success, 1 when the request
 * failed (the reason is printed), 2 for a usage error.
 */
int client_main(int argc, char **argv);

/*
 * client_default_socket() - the API socket the client uses without
 * --socket: $QCW_NET_API, else unix://$XDG_RUNTIME_DIR/qcw-net/api.sock,
 * else unix:///tmp/qcw-net/api.sock.
 */
const char *client_default_socket(char *buf, size_t len);

#endif
