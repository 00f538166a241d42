#ifndef SANDBENCH_COPENSSL_SHIM_H
#define SANDBENCH_COPENSSL_SHIM_H
// libcrypto only: HarnessHTTP signs service-account JWTs (RS256) with it.
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#endif
