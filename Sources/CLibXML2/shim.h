#ifndef SANDBENCH_CLIBXML2_SHIM_H
#define SANDBENCH_CLIBXML2_SHIM_H
#include <libxml/xmlwriter.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#endif
