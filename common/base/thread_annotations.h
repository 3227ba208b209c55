// Clang's thread-safety annotations (-Wthread-safety): which mutex guards a
// member, which a function needs held, which it takes or gives back. The
// compiler then checks every access, where a comment ("guarded by mu_")
// could only be trusted. scripts/check-thread-safety.sh builds the code
// that holds locks with them on. Compilers without the attributes (g++) see
// nothing. The names follow clang's documentation, LevelDB and Abseil.
#pragma once

#if defined(__clang__) && defined(__has_attribute)
#if __has_attribute(guarded_by)
#define MUSTER_THREAD_ANNOTATION_(x) __attribute__((x))
#endif
#endif
#ifndef MUSTER_THREAD_ANNOTATION_
#define MUSTER_THREAD_ANNOTATION_(x)  // no-op
#endif

// A class that is a lock ("mutex"), or a scoped guard of one.
#define CAPABILITY(x) MUSTER_THREAD_ANNOTATION_(capability(x))
#define SCOPED_CAPABILITY MUSTER_THREAD_ANNOTATION_(scoped_lockable)

// A member read and written only with the mutex held; PT_: the data a
// pointer member points to.
#define GUARDED_BY(x) MUSTER_THREAD_ANNOTATION_(guarded_by(x))
#define PT_GUARDED_BY(x) MUSTER_THREAD_ANNOTATION_(pt_guarded_by(x))

// The caller must hold (REQUIRES) or must not hold (EXCLUDES) the mutexes.
#define REQUIRES(...) MUSTER_THREAD_ANNOTATION_(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) MUSTER_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))

// The function takes (ACQUIRE) or gives back (RELEASE) the mutexes; with no
// argument, the object itself.
#define ACQUIRE(...) MUSTER_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#define RELEASE(...) MUSTER_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))

// Turns the analysis off for one function: only where the analysis cannot
// follow the locking, with a comment that says why.
#define NO_THREAD_SAFETY_ANALYSIS MUSTER_THREAD_ANNOTATION_(no_thread_safety_analysis)
