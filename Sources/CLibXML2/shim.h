#ifndef SANDBENCH_CLIBXML2_SHIM_H
#define SANDBENCH_CLIBXML2_SHIM_H
#include <libxml/xmlversion.h>
// Debian's libxml2 is built with ICU, so its encoding header pulls in the system's ICU headers,
// which clash with the copy Swift's Foundation carries (same C names, other definitions).
// sandbench uses only the writer and parser APIs through opaque pointers, never the ICU
// converter fields, so the ICU part of the headers is left out.
#undef LIBXML_ICU_ENABLED
#include <libxml/xmlwriter.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#endif
