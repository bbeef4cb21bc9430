// libcurl for Swift: the OTLP/HTTP exporter's client. Only includes and wrappers for what Swift
// cannot call (curl_easy_setopt and curl_easy_getinfo are variadic).
#ifndef BITPROBE_CCURL_SHIM_H
#define BITPROBE_CCURL_SHIM_H
#include <curl/curl.h>

// curl_easy_setopt is variadic and reads its third argument as the type the option implies
// (long, curl_off_t, a data pointer or a function pointer). One wrapper per type keeps the
// argument exactly that type; a function pointer must not travel as void *, so each callback
// kind has its own.

// For CURLOPTTYPE_LONG options (CURLOPT_POST, CURLOPT_TIMEOUT_MS, CURLOPT_NOSIGNAL, ...).
static inline CURLcode bitprobe_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

// For CURLOPTTYPE_OFF_T options (CURLOPT_POSTFIELDSIZE_LARGE): a 64-bit size even where long is not.
static inline CURLcode bitprobe_curl_setopt_off_t(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}

// For CURLOPTTYPE_STRINGPOINT options (CURLOPT_URL, CURLOPT_CAINFO, ...); libcurl copies the string.
static inline CURLcode bitprobe_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

// For CURLOPTTYPE_OBJECTPOINT / CBPOINT options whose pointer libcurl keeps and does not copy
// (CURLOPT_POSTFIELDS, CURLOPT_WRITEDATA, CURLOPT_ERRORBUFFER).
static inline CURLcode bitprobe_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}

// For CURLOPTTYPE_SLISTPOINT options (CURLOPT_HTTPHEADER); libcurl keeps the list, it is not copied.
static inline CURLcode bitprobe_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

// CURLOPT_WRITEFUNCTION: the response body arrives through this callback.
static inline CURLcode bitprobe_curl_setopt_write_function(CURL *handle, curl_write_callback callback) {
    return curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, callback);
}

// curl_easy_getinfo is variadic too; its third argument points at the type the info implies.
static inline CURLcode bitprobe_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}

// For CURLINFO_STRING infos (CURLINFO_CONTENT_TYPE); the string belongs to the handle.
static inline CURLcode bitprobe_curl_getinfo_string(CURL *handle, CURLINFO info, char **value) {
    return curl_easy_getinfo(handle, info, value);
}
#endif
