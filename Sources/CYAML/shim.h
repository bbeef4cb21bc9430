// libyaml for Swift: config files parsed with line and column marks for error messages.
#ifndef BITPROBE_CYAML_SHIM_H
#define BITPROBE_CYAML_SHIM_H
#include <yaml.h>
#endif
