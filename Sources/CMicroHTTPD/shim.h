// libmicrohttpd for Swift. Only includes and wrappers for what Swift cannot call directly.
#ifndef BITPROBE_CMICROHTTPD_SHIM_H
#define BITPROBE_CMICROHTTPD_SHIM_H
#include <stdint.h>
#include <stdarg.h>
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <microhttpd.h>
// GnuTLS is libmicrohttpd's TLS library: its priority API tells which suites a priority string
// enables, so a cipher_suites list can be checked before libmicrohttpd is given the string.
#include <gnutls/gnutls.h>

// MHD_start_daemon is variadic, which Swift cannot call; every option travels in one
// MHD_OPTION_ARRAY built in Swift, so this single fixed signature covers them all.
static inline struct MHD_Daemon *bitprobe_mhd_start(unsigned int flags, uint16_t port,
                                                    MHD_AcceptPolicyCallback apc, void *apc_cls,
                                                    MHD_AccessHandlerCallback dh, void *dh_cls,
                                                    const struct MHD_OptionItem *options) {
    return MHD_start_daemon(flags, port, apc, apc_cls, dh, dh_cls,
                            MHD_OPTION_ARRAY, options, MHD_OPTION_END);
}

// MHD_get_connection_info is variadic; CLIENT_ADDRESS takes no extra arguments.
static inline const struct sockaddr *bitprobe_mhd_client_address(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info == NULL ? NULL : info->client_addr;
}
// MHD_get_connection_info is variadic; CONNECTION_FD takes no extra arguments. -1 when unknown.
static inline int bitprobe_mhd_connection_fd(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info == NULL ? -1 : info->connect_fd;
}
#endif
