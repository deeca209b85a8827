/*
 * qcw_mbedtls_config.h - qcw-net's additions to Mbed TLS's default
 * configuration (MBEDTLS_USER_CONFIG_FILE): mutexes through winpthreads, so
 * libssh may be used from libuv's threadpool (the identity file is decoded
 * there) while the loop runs sessions.
 */
#define MBEDTLS_THREADING_C
#define MBEDTLS_THREADING_PTHREAD
