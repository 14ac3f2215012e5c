/* The test programs' own emulated TLS (mingw-w64 builds only), in place of
 * libgcc's: the same two entry points, but a thread's thread_local storage is
 * never freed. libgcc frees it when the thread exits, before the C++
 * destructors of those thread_locals run, and doctest's (a stringstream, a
 * vector) then corrupted the heap as test worker threads ended. A few KB per
 * thread left behind is nothing for a test program; libphost itself keeps no
 * thread_local with a destructor on mingw (host/src/error.cpp). */
#include <windows.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* libgcc's layout (emutls.c): word and pointer are 64 bits on x86-64. */
struct __emutls_object {
  uintptr_t size;
  uintptr_t align;
  union {
    uintptr_t offset; /* 1-based index, 0 until first use */
    void* ptr;
  } loc;
  void* templ;
};

typedef struct slots {
  size_t count;
  void* at[];
} slots;

static SRWLOCK lock = SRWLOCK_INIT;
static uintptr_t last_offset;
static DWORD tls_index = TLS_OUT_OF_INDEXES;

static void fail(void) {
  static const char text[] = "emutls: out of memory or TLS indexes\n";
  DWORD written;
  WriteFile(GetStdHandle(STD_ERROR_HANDLE), text, sizeof text - 1, &written, NULL);
  abort();
}

/* Both are gcc built-ins: their declared types are gcc's. */
void* __emutls_get_address(void* object) {
  struct __emutls_object* obj = object;
  uintptr_t offset = __atomic_load_n(&obj->loc.offset, __ATOMIC_ACQUIRE);
  if (offset == 0) {
    AcquireSRWLockExclusive(&lock);
    if (tls_index == TLS_OUT_OF_INDEXES && (tls_index = TlsAlloc()) == TLS_OUT_OF_INDEXES) fail();
    offset = obj->loc.offset;
    if (offset == 0) {
      offset = ++last_offset;
      __atomic_store_n(&obj->loc.offset, offset, __ATOMIC_RELEASE);
    }
    ReleaseSRWLockExclusive(&lock);
  }
  slots* mine = TlsGetValue(tls_index);
  if (!mine || mine->count < offset) {
    const size_t count = offset + 32;
    const size_t old = mine ? mine->count : 0;
    slots* grown = realloc(mine, sizeof(slots) + count * sizeof(void*));
    if (!grown) fail();
    memset(grown->at + old, 0, (count - old) * sizeof(void*));
    grown->count = count;
    TlsSetValue(tls_index, grown);
    mine = grown;
  }
  void** slot = &mine->at[offset - 1];
  if (!*slot) {
    const size_t align = obj->align > sizeof(void*) ? obj->align : sizeof(void*);
    void* data = _aligned_malloc(obj->size ? obj->size : 1, align);
    if (!data) fail();
    if (obj->templ)
      memcpy(data, obj->templ, obj->size);
    else
      memset(data, 0, obj->size);
    *slot = data;
  }
  return *slot;
}

/* For thread_local common symbols: the largest size and alignment win. */
void __emutls_register_common(void* object, unsigned long long size, unsigned long long align, void* templ) {
  struct __emutls_object* obj = object;
  if (obj->size < size) {
    obj->size = size;
    obj->templ = NULL;
  }
  if (obj->align < align) obj->align = align;
  if (templ && size == obj->size) obj->templ = templ;
}
