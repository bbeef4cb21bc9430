// libcrypt (libxcrypt) for Swift: bcrypt verification of basic-auth passwords.
#ifndef BITPROBE_CCRYPT_SHIM_H
#define BITPROBE_CCRYPT_SHIM_H
#include <crypt.h>
#endif
