/* A PKCS#11 module for tests that forwards every call to a real module (SoftHSM2) but can hold
 * signatures, as a YubiKey with a touch policy does while it waits for a finger: while the file
 * named by HELD_SIGN_GATE exists, C_SignInit waits. It creates HELD_SIGN_GATE.held when a
 * signature starts waiting, so a test knows the helper is stuck inside the token.
 *
 *   HELD_SIGN_MODULE  the module to forward to (required)
 *   HELD_SIGN_GATE    the gate file (optional: without it, nothing is held)
 *
 * Only the function list is replaced: sessions, login and keys are SoftHSM2's own. */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST forwarded;
static CK_C_SignInit real_sign_init;

static int gate_is_closed(const char* gate) { return gate && access(gate, F_OK) == 0; }

static void mark_held(const char* gate) {
  char marker[4096];
  if (snprintf(marker, sizeof marker, "%s.held", gate) >= (int)sizeof marker) return;
  const int fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd >= 0) close(fd);
}

static CK_RV held_sign_init(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism,
                            CK_OBJECT_HANDLE key) {
  const char* gate = getenv("HELD_SIGN_GATE");
  if (gate_is_closed(gate)) {
    mark_held(gate);
    const struct timespec pause = {0, 50 * 1000 * 1000};
    while (gate_is_closed(gate)) nanosleep(&pause, NULL);
  }
  return real_sign_init(session, mechanism, key);
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
  if (!list) return CKR_ARGUMENTS_BAD;
  if (!real_sign_init) {
    const char* path = getenv("HELD_SIGN_MODULE");
    if (!path) return CKR_GENERAL_ERROR;
    void* module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!module) return CKR_GENERAL_ERROR;
    CK_C_GetFunctionList get_list;
    /* dlsym returns an object pointer; POSIX guarantees it converts to a function pointer. */
    *(void**)&get_list = dlsym(module, "C_GetFunctionList");
    CK_FUNCTION_LIST_PTR real = NULL;
    if (!get_list || get_list(&real) != CKR_OK || !real) return CKR_GENERAL_ERROR;
    memcpy(&forwarded, real, sizeof forwarded);
    real_sign_init = real->C_SignInit;
    forwarded.C_SignInit = held_sign_init;
  }
  *list = &forwarded;
  return CKR_OK;
}
