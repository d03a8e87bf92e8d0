// OpenSSL's libcrypto, for ECDSA image signatures (the format cosign verifies).
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/err.h>
#include <openssl/bio.h>
