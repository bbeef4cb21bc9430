// COTLP: protoc-c output for the OTLP trace export request and response (regenerate with
// scripts/gen-otlp from proto/).
#ifndef BITPROBE_COTLP_H
#define BITPROBE_COTLP_H
#include "opentelemetry/proto/common/v1/common.pb-c.h"
#include "opentelemetry/proto/resource/v1/resource.pb-c.h"
#include "opentelemetry/proto/trace/v1/trace.pb-c.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"
#endif
