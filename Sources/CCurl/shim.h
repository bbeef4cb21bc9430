// libcurl for Swift: the OTLP/HTTP exporter's client. Only includes and wrappers for what Swift
// cannot call (curl_easy_setopt and curl_easy_getinfo are variadic).
#ifndef BITPROBE_CCURL_SHIM_H
#define BITPROBE_CCURL_SHIM_H
#include <curl/curl.h>
#endif
